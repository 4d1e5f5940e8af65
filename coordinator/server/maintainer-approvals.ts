// A maintainer publishing its signed approval list (docs/trust.md): kept as sent, relayed with
// recipient lists. Only a list signed by the sender's own key is taken, so no maintainer can fill
// another's place; what the list approves is for the maintainers who read it to decide.
import type { darkroom } from '../../proto/darkroom.js';
import { openApprovalList } from '../../shared/approvals.js';
import { nacl } from '../../shared/crypto/index.js';
import { messageOf } from '../../shared/errors.js';
import { WireError } from '../../shared/wire/errors.js';
import type { IntakeContext } from './maintainer-upload.js';

export function publishApprovals(context: IntakeContext, request: darkroom.v1.ApprovalsPublish): darkroom.v1.ApprovalsPublished.$Properties {
  const { party, hub } = context;
  let approverFingerprint: string;
  try {
    approverFingerprint = openApprovalList(request.signed, nacl).approverFingerprint;
  } catch (error) {
    throw new WireError('BAD_REQUEST', `Approval list refused: ${messageOf(error)}`, { cause: error });
  }
  if (approverFingerprint !== party.fingerprint) throw new WireError('NOT_AUTHORIZED', `Approval list is signed by ${approverFingerprint}, not by '${party.name}' (${party.fingerprint}): publish only your own list`);
  const now = Date.now();
  hub.store.write(() => hub.store.approvalLists.store(party, request.signed, now));
  return { storedAtMs: now };
}
