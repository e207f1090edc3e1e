/** What the Electron preload exposes; absent when the UI runs in a browser. */
interface PlantbenchBridge {
  readonly platform: 'electron';
  readonly version: string;
}

interface Window {
  readonly plantbench?: PlantbenchBridge;
}
