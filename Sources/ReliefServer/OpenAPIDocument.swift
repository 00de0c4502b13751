import Foundation

/// The OpenAPI 3.0 document of this API (served at `/api`), built from the same process
/// descriptions as `/processes/{id}`.
func openAPIDocument(base: String) -> [String: Any] {
    func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    func json(_ description: String, _ schema: [String: Any]) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }
    let problem: [String: Any] = ["description": "OGC exception", "content": ["application/problem+json": ["schema": ref("exception")]]]
    let jobID: [String: Any] = ["name": "jobId", "in": "path", "required": true, "schema": ["type": "string"]]
    let processID: [String: Any] = ["name": "processId", "in": "path", "required": true, "schema": ["type": "string", "enum": ProcessDescriptions.ids]]
    let secured: [[String: [String]]] = [["bearer": []]]
    let authErrors: [String: Any] = ["401": problem, "404": problem, "429": problem, "500": problem]
    func merge(_ a: [String: Any], _ b: [String: Any]) -> [String: Any] { a.merging(b) { x, _ in x } }

    let link: [String: Any] = ["type": "object", "required": ["href"], "properties": [
        "href": ["type": "string"], "rel": ["type": "string"], "type": ["type": "string"], "title": ["type": "string"]]]
    let statusInfo: [String: Any] = ["type": "object", "required": ["jobID", "status", "type"], "properties": [
        "jobID": ["type": "string"], "processID": ["type": "string"], "type": ["type": "string", "enum": ["process"]],
        "status": ["type": "string", "enum": ["accepted", "running", "successful", "failed", "dismissed"]],
        "message": ["type": "string"], "progress": ["type": "integer", "minimum": 0, "maximum": 100],
        "created": ["type": "string", "format": "date-time"], "started": ["type": "string", "format": "date-time"],
        "finished": ["type": "string", "format": "date-time"], "updated": ["type": "string", "format": "date-time"],
        "links": ["type": "array", "items": ref("link")]]]
    let exception: [String: Any] = ["type": "object", "required": ["type"], "properties": [
        "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"], "detail": ["type": "string"]]]
    let execute: [String: Any] = ["type": "object", "required": ["inputs"], "properties": [
        "inputs": ["type": "object", "additionalProperties": true],
        "response": ["type": "string", "enum": ["document"]]]]
    let anyObject: [String: Any] = ["type": "object", "additionalProperties": true]

    let paths: [String: Any] = [
        "/": ["get": ["summary": "Landing page", "operationId": "getLandingPage", "responses": ["200": json("Links to the API", anyObject)]]],
        "/conformance": ["get": ["summary": "Conformance classes", "operationId": "getConformance",
                                 "responses": ["200": json("Conformance classes", ["type": "object", "properties": ["conformsTo": ["type": "array", "items": ["type": "string"]]]])]]],
        "/api": ["get": ["summary": "This document", "operationId": "getAPI", "responses": ["200": ["description": "OpenAPI 3.0 document"]]]],
        "/processes": ["get": ["summary": "Processes", "operationId": "getProcesses", "responses": ["200": json("Process summaries", anyObject)]]],
        "/processes/{processId}": ["get": ["summary": "Process description (inputs and outputs as JSON Schemas)", "operationId": "getProcessDescription",
                                           "parameters": [processID], "responses": ["200": json("Process description", anyObject), "404": problem]]],
        "/processes/{processId}/execution": ["post": [
            "summary": "Execute a process asynchronously", "operationId": "execute", "security": secured,
            "parameters": [processID,
                           ["name": "Idempotency-Key", "in": "header", "description": "per user: the same key and body return the same job (201, Idempotent-Replayed: true), another body 409",
                            "schema": ["type": "string", "minLength": 1, "maxLength": 255]],
                           ["name": "Prefer", "in": "header", "description": "respond-async is applied (Preference-Applied); jobs always run asynchronously",
                            "schema": ["type": "string"]]],
            "requestBody": ["required": true, "content": ["application/json": ["schema": ref("execute")]]],
            "responses": merge(["201": ["description": "Job created", "headers": ["Location": ["schema": ["type": "string"], "description": "the job's URL"]],
                                        "content": ["application/json": ["schema": ref("statusInfo")]]],
                                "400": problem, "403": problem, "409": problem, "413": problem], authErrors)]],
        "/jobs": ["get": ["summary": "The caller's jobs (a referent: the entity's), newest first", "operationId": "getJobs", "security": secured,
                          "parameters": [["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 10]],
                                         ["name": "offset", "in": "query", "schema": ["type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0]]],
                          "responses": merge(["400": problem, "200": json("Jobs", ["type": "object", "properties": ["jobs": ["type": "array", "items": ref("statusInfo")],
                                                                                                      "links": ["type": "array", "items": ref("link")]]])], authErrors)]],
        "/jobs/{jobId}": [
            "get": ["summary": "Job status", "operationId": "getStatus", "security": secured, "parameters": [jobID],
                    "responses": merge(["200": json("Status", ref("statusInfo"))], authErrors)],
            "delete": ["summary": "Dismiss a job: cancel it when live; remove its files and hide it when finished", "operationId": "dismiss", "security": secured, "parameters": [jobID],
                       "responses": merge(["200": json("Status after dismissal", ref("statusInfo"))], authErrors)]],
        "/jobs/{jobId}/results": ["get": ["summary": "Links to the outputs", "operationId": "getResult", "security": secured, "parameters": [jobID],
                                          "responses": merge(["200": json("Outputs as links", anyObject), "500": problem], authErrors)]],
        "/jobs/{jobId}/stac": ["get": ["summary": "STAC Item of the products", "operationId": "getSTACItem", "security": secured, "parameters": [jobID],
                                       "responses": merge(["200": ["description": "STAC Item 1.0", "content": ["application/geo+json": ["schema": anyObject]]]], authErrors)]],
        "/jobs/{jobId}/files/{name}": ["get": [
            "summary": "An output file; supports Range requests", "operationId": "getFile", "security": secured,
            "parameters": [jobID, ["name": "name", "in": "path", "required": true, "schema": ["type": "string"]],
                           ["name": "Range", "in": "header", "schema": ["type": "string"]]],
            "responses": merge(["200": ["description": "The whole file"], "206": ["description": "The requested byte range"], "416": problem], authErrors)]],
        "/quota": ["get": ["summary": "The entity's quota in km²: used, reserved by jobs in flight, remaining", "operationId": "getQuota", "security": secured,
                           "responses": merge(["200": json("Quota", anyObject)], authErrors)]],
    ]
    return [
        "openapi": "3.0.3",
        "info": ["title": "Relief processing service (OGC API - Processes)", "version": ProcessDescriptions.version,
                 "description": "DSMs and Pléiades products from catalogue products, with per-entity quotas in km²."],
        "servers": [["url": base]],
        "paths": paths,
        "components": [
            "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            "schemas": ["link": link, "statusInfo": statusInfo, "exception": exception, "execute": execute],
        ],
    ]
}
