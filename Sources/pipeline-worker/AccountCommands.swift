import ArgumentParser
import Foundation
import ReliefServer

/// `pipeline-worker users add|revoke|list`.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage the accounts of the HTTP front.", subcommands: [Add.self, Revoke.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; prints their bearer token (shown once, stored hashed).")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "Entity the user belongs to.") var entity: String
        @Option(help: "user (own jobs) or referent (the entity's jobs).") var role: String = "user"

        func run() throws {
            guard let r = Account.Role(rawValue: role) else { throw ValidationError("--role must be user or referent, got '\(role)'") }
            do { print(try accountOptions.open(queue: queueOptions.queue).addUser(name, entity: entity, role: r)) } catch let e as AccountError {
                throw ValidationError("\(e)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a user's token.")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions
        @Argument(help: "User name.") var name: String

        func run() throws {
            do { try accountOptions.open(queue: queueOptions.queue).revoke(user: name) } catch let e as AccountError { throw ValidationError("\(e)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users: name, entity, role, revoked.")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions

        func run() throws {
            for (a, revoked) in try accountOptions.open(queue: queueOptions.queue).users() {
                print("\(a.user)\t\(a.entity)\t\(a.role.rawValue)\(revoked ? "\trevoked" : "")")
            }
        }
    }
}

/// `pipeline-worker entities add|set-quota|list`.
struct EntitiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entities", abstract: "Manage member entities and their quotas (km²).", subcommands: [Add.self, SetQuota.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an entity with its quota.")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions
        @Argument(help: "Entity name.") var name: String
        @Option(help: "Quota in km² (default 1500).") var quota: Double = 1500

        func run() throws {
            do { try accountOptions.open(queue: queueOptions.queue).addEntity(name, quotaKm2: quota) } catch let e as AccountError { throw ValidationError("\(e)") }
        }
    }

    struct SetQuota: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-quota", abstract: "Change an entity's quota (km²).")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions
        @Argument(help: "Entity name.") var name: String
        @Argument(help: "Quota in km².") var km2: Double

        func run() throws {
            do { try accountOptions.open(queue: queueOptions.queue).setQuota(entity: name, km2: km2) } catch let e as AccountError { throw ValidationError("\(e)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entities: name, quota, used (km²).")
        @OptionGroup var queueOptions: QueueOptions
        @OptionGroup var accountOptions: AccountOptions

        func run() throws {
            for e in try accountOptions.open(queue: queueOptions.queue).entities() {
                print("\(e.name)\t" + String(format: "%.3f\t%.3f", e.quotaKm2, e.usedKm2))
            }
        }
    }
}
