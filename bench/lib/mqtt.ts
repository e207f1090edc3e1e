// The project's MQTT.js for benchmarks that live beside a node_modules of their own (bench/compare
// installs Node-RED, which brings another MQTT.js): imported through here, it resolves from bench/lib.
export { default as mqtt } from 'mqtt';
export type { IClientOptions, MqttClient } from 'mqtt';
