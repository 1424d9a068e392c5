// Which IP addresses a webhook may reach: private, loopback, link-local and other non-public
// ranges are refused unless WEBHOOK_ALLOW_PRIVATE=true, so a webhook cannot be aimed at the
// service's own network (SSRF).

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  return bytes.every((byte) => byte >= 0 && byte <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let address = text.toLowerCase();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  if (!address.includes(":")) return undefined;
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  const v4 = parseIpv4(address.slice(lastColon + 1));
  if (v4) {
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    address = address.slice(0, lastColon) + (address[lastColon - 1] === ":" ? ":" : "");
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const missing = 8 - tail.length - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest].map(
    (word) => (/^[0-9a-f]{1,4}$/.test(word) ? parseInt(word, 16) : NaN),
  );
  const all = [...words, ...tail];
  return all.length === 8 && all.every((word) => !Number.isNaN(word)) ? all : undefined;
}

function ipv4IsPublic([a, b, c]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local (cloud metadata)
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
}

function ipv6IsPublic(words: number[]): boolean {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words;
  const embeddedV4 = [w6 >> 8, w6 & 0xff, w7 >> 8, w7 & 0xff];
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0) {
    if (w5 === 0xffff) return ipv4IsPublic(embeddedV4); // IPv4-mapped
    return false; // unspecified, loopback, IPv4-compatible
  }
  if (w0 === 0x64 && w1 === 0xff9b) return ipv4IsPublic(embeddedV4); // NAT64
  if ((w0 & 0xfe00) === 0xfc00) return false; // unique local
  if ((w0 & 0xffc0) === 0xfe80) return false; // link-local
  if ((w0 & 0xff00) === 0xff00) return false; // multicast
  if (w0 === 0x2001 && w1 === 0x0db8) return false; // documentation
  return true;
}

/** Parses an IP literal (IPv4, IPv6, bracketed IPv6); undefined for a host name. */
export function parseIpAddress(text: string): { version: 4 | 6; parts: number[] } | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, parts: v4 };
  const v6 = parseIpv6(text);
  return v6 ? { version: 6, parts: v6 } : undefined;
}

/** True when an IP literal is a public unicast address; false for anything else. */
export function isPublicAddress(text: string): boolean {
  const address = parseIpAddress(text);
  if (!address) return false;
  return address.version === 4 ? ipv4IsPublic(address.parts) : ipv6IsPublic(address.parts);
}

/** Host names that always mean this machine, whatever DNS says. */
export function isLocalHostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}
