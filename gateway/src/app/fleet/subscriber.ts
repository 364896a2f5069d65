/** The fleet's head-end subscribers: one MQTT client, connected, subscribed to `topic` at QoS 1, every message to `onMessage`. */
import { connect, type MqttClient } from 'mqtt';

export async function connectSubscriber(url: string, clientId: string, topic: string, onMessage: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
  const client = connect(url, { clientId, clean: true, reconnectPeriod: 1000, protocolVersion: 4 });
  client.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return client;
}
