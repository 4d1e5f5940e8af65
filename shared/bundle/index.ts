// Sealed envelopes (docs/sealed-bundle.md): the API the maintainer, agent and coordinator use.
export { BundleError, type BundleErrorCode } from './errors.js';
export { readHeader, SealedKind, type ParsedHeader } from './header.js';
export { readStanza, wrapForRecipients, type ParsedStanza } from './stanza.js';
export { CONTAINER_MAGIC, encodeContainer, encodeContainerPrefix, parseContainer, readContainerFile } from './container.js';
export { sealedPayloadBytes } from './stream.js';
export { sealBundle, sealDetails, sealLogs, type Recipient, type SealBundleInput, type SealDetailsInput, type SealedBundleFile, type SealLogsInput, type Signer } from './seal.js';
export { openBundle, openBundleFile, openDetails, openLogs, unseal, authenticatePayload, type OpenedBundle, type OpenedDetails, type OpenedLogs, type TrustPolicy, type PayloadFile } from './open.js';
