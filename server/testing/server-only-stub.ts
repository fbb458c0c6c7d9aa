// Stands in for 'server-only' under Vitest, where modules are not bundled for the server.
export {};
