// The software version, as peers see it in handshakes and results.
export const VERSION = '0.1.0';
export const SOFTWARE = `darkroom/${VERSION}`;
