import { useState } from 'react';
import { AttachmentImage } from './AttachmentImage.js';
import { SignaturePad } from './SignaturePad.js';

interface Props {
  /** Whose signature this is, e.g. "Inspector signature". */
  label: string;
  /** The stored signature's hash, once signed. */
  signed: string | null;
  /** Stores and records the accepted drawing; true once it is on the record. */
  onSign: (pngDataUrl: string) => Promise<boolean>;
}

/** A signature on a record: the pad until it is signed, then the signature, which can be signed again. */
export function SignatureField({ label, signed, onSign }: Props) {
  const [resigning, setResigning] = useState(false);
  if (signed && !resigning) {
    return (
      <div className="signature">
        <AttachmentImage className="signature__image" sha256={signed} alt={label} />
        <p>Signed.</p>
        <button type="button" className="button" onClick={() => setResigning(true)} aria-label={`Sign again: ${label}`}>
          Sign again
        </button>
      </div>
    );
  }
  return <SignaturePad label={label} onAccept={async (png) => (await onSign(png)) && setResigning(false)} />;
}
