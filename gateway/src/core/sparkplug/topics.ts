/** Sparkplug B topic namespace (Sparkplug 3.0 §4.1): spBv1.0/{group}/{type}/{edge node}[/{device}]. */
export const NAMESPACE = 'spBv1.0';

export type NodeMessage = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD';
export type DeviceMessage = 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD';

export function nodeTopic(group: string, type: NodeMessage, node: string): string {
  return `${NAMESPACE}/${group}/${type}/${node}`;
}

export function deviceTopic(group: string, type: DeviceMessage, node: string, device: string): string {
  return `${NAMESPACE}/${group}/${type}/${node}/${device}`;
}

export function stateTopic(hostId: string): string {
  return `${NAMESPACE}/STATE/${hostId}`;
}

/** Group, edge node and device ids: UTF-8, none of + # / (Sparkplug 3.0 §4.1.1). */
export function validSparkplugId(id: string): boolean {
  return id.length > 0 && !/[+#/]/.test(id);
}
