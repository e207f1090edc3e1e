/** What the Electron preload exposes (src/preload/index.ts); absent when the UI runs in a browser. */
interface PlantbenchBridge {
  readonly version: string;
  /**
   * The connection to the host: an RpcPort over the MessagePort main hands this page. Menu
   * commands arrive on it too, as `{ t: 'event', event: 'app.command', payload: { command } }`
   * with command 'save' or 'project-opened'.
   */
  readonly rpc: Pick<import('../shared/rpc/wire.ts').RpcPort, 'send' | 'onMessage'>;
}

interface Window {
  readonly plantbench?: PlantbenchBridge;
}
