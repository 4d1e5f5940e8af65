// JobOffer envelopes for a fan-out, encoded in two parts: what every agent's offer of one bundle
// shares (bundle, embargo, signed header, size, deadline, workloads, maintainers, base runs) is
// encoded once, and each agent's envelope is that part followed by its own fields (job, tree,
// attempt, stanza). A protobuf decoder reads fields in any order and the two parts share no
// field, so the bytes decode exactly as the offer encoded whole.
import protobuf from 'protobufjs/minimal.js';
import { darkroom } from '../../proto/darkroom.js';

export type JobOfferInit = darkroom.v1.JobOffer.$Properties;

/** The Envelope's key of its job_offer field, from the generated encoder: an empty JobOffer encodes as that key and length 0. */
const JOB_OFFER_KEY = (() => {
  const empty = darkroom.v1.Envelope.encode({ jobOffer: {} }).finish();
  return empty.slice(0, empty.length - 1);
})();

function sharedPart(offer: JobOfferInit): Uint8Array {
  return darkroom.v1.JobOffer.encode({ ...offer, jobId: '', tree: '', attempt: 0, stanza: new Uint8Array() }).finish();
}

/** Envelope bytes of JobOffers; the shared part is encoded once per bundle for the encoder's life (one fan-out). */
export class JobOfferEncoder {
  readonly #shared = new Map<string, Uint8Array>();

  envelope(offer: JobOfferInit): Uint8Array {
    const key = offer.bundleId ?? '';
    let shared = this.#shared.get(key);
    if (!shared) {
      shared = sharedPart(offer);
      this.#shared.set(key, shared);
    }
    const own = darkroom.v1.JobOffer.encode({ jobId: offer.jobId, tree: offer.tree, attempt: offer.attempt, stanza: offer.stanza }).finish();
    const length = protobuf.Writer.create().uint32(shared.length + own.length).finish();
    const bytes = new Uint8Array(JOB_OFFER_KEY.length + length.length + shared.length + own.length);
    bytes.set(JOB_OFFER_KEY, 0);
    bytes.set(length, JOB_OFFER_KEY.length);
    bytes.set(shared, JOB_OFFER_KEY.length + length.length);
    bytes.set(own, JOB_OFFER_KEY.length + length.length + shared.length);
    return bytes;
  }
}
