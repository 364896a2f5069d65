/** systemd unit file syntax (systemd.syntax(7)): sections, repeated keys kept in order, comments, backslash continuation. */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const out: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = out.get(head[1]!) ?? new Map();
      out.set(head[1]!, section);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !section) throw new Error(`line ${i + 1}: not "key=value" inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  });
  return out;
}
