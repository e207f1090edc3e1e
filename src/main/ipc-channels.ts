// The only IPC between the preload and main (pure constants: the preload bundles this file).
// Everything else travels over the MessagePort main hands out, as the typed RPC contract.

export const IPC = {
  /** Preload → main: "give this page a connection to the host". No payload. */
  connect: 'plantbench:rpc-connect',
  /** Main → preload: carries the MessagePort (in event.ports). */
  port: 'plantbench:rpc-port',
  /** Main → preload: a menu command for the renderer (one of APP_COMMANDS). */
  command: 'plantbench:command',
} as const;

/** Menu commands reach the renderer as this event on its RPC stream. */
export const APP_COMMAND_EVENT = 'app.command';
export const APP_COMMANDS = ['save', 'project-opened'] as const;
export type AppCommand = (typeof APP_COMMANDS)[number];
