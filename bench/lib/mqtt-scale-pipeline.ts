// The pipeline of bench/mqtt and of S1 in bench/compare: MQTT in (JSON field "value") → scale ×2
// → MQTT out (JSON), through one broker device "broker".

/** The broker device's one tag, read from `inTopic`. */
export function mqttScaleTag(inTopic: string) {
  return { name: 'v', topic: inTopic, payload: { format: 'json', field: 'value' } };
}

/** Nodes and edges of the pipeline, publishing to `outTopic`. */
export function mqttScalePipeline(outTopic: string, qos: number) {
  return {
    nodes: {
      in: { type: 'mqtt-source', config: { device: 'broker', tags: ['v'], qos } },
      scale: { type: 'scale', config: { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 2 } },
      out: { type: 'mqtt-sink', config: { device: 'broker', topic: outTopic, qos, payload: { format: 'json' } } },
    },
    edges: [
      { from: 'in', to: 'scale' },
      { from: 'scale', to: 'out' },
    ],
  };
}
