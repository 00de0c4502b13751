import ArgumentParser
import Foundation
import ReliefQueue
import ReliefServer

/// Opens the queue and the accounts in its database, runs `body`, closes the queue; account
/// errors become usage errors with their message.
func withAccounts<T>(_ options: QueueOptions, _ body: (any AccountStore) async throws -> T) async throws -> T {
    let queue = try await options.open()
    do {
        let value = try await body(try await openAccountStore(queue: queue))
        await queue.shutdown()
        return value
    } catch let e as AccountError {
        await queue.shutdown()
        throw ValidationError("\(e)")
    } catch {
        await queue.shutdown()
        throw error
    }
}

/// `pipeline-worker users add|revoke|list`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage the accounts of the HTTP front (kept in the queue's database).",
        subcommands: [Add.self, Revoke.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; prints their bearer token (shown once, stored hashed).")
        @OptionGroup var queueOptions: QueueOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "Entity the user belongs to.") var entity: String
        @Option(help: "user (own jobs) or referent (the entity's jobs).") var role: String = "user"

        func run() async throws {
            guard let r = Account.Role(rawValue: role) else { throw ValidationError("--role must be user or referent, got '\(role)'") }
            print(try await withAccounts(queueOptions) { try await $0.addUser(name, entity: entity, role: r) })
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a user's token.")
        @OptionGroup var queueOptions: QueueOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            try await withAccounts(queueOptions) { try await $0.revoke(user: name) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users: name, entity, role, revoked.")
        @OptionGroup var queueOptions: QueueOptions

        func run() async throws {
            for (a, revoked) in try await withAccounts(queueOptions, { try await $0.users() }) {
                print("\(a.user)\t\(a.entity)\t\(a.role.rawValue)\(revoked ? "\trevoked" : "")")
            }
        }
    }
}

/// `pipeline-worker entities add|set-quota|list`.
struct EntitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entities", abstract: "Manage member entities and their quotas (km², kept in the queue's database).",
        subcommands: [Add.self, SetQuota.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an entity with its quota.")
        @OptionGroup var queueOptions: QueueOptions
        @Argument(help: "Entity name.") var name: String
        @Option(help: "Quota in km² (default 1500).") var quota: Double = 1500

        func run() async throws {
            try await withAccounts(queueOptions) { try await $0.addEntity(name, quotaKm2: quota) }
        }
    }

    struct SetQuota: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-quota", abstract: "Change an entity's quota (km²).")
        @OptionGroup var queueOptions: QueueOptions
        @Argument(help: "Entity name.") var name: String
        @Argument(help: "Quota in km².") var km2: Double

        func run() async throws {
            try await withAccounts(queueOptions) { try await $0.setQuota(entity: name, km2: km2) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entities: name, quota, used (km²).")
        @OptionGroup var queueOptions: QueueOptions

        func run() async throws {
            for e in try await withAccounts(queueOptions, { try await $0.entities() }) {
                print("\(e.name)\t" + String(format: "%.3f\t%.3f", e.quotaKm2, e.usedKm2))
            }
        }
    }
}
