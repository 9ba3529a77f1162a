import { useEffect, useRef, useState, type PointerEvent } from 'react';

interface Props {
  /** Whose signature this is, e.g. "Inspector signature". */
  label: string;
  /** Called with the signature as a PNG data: URL when the signer accepts it. */
  onAccept: (pngDataUrl: string) => Promise<unknown>;
  disabled?: boolean;
}

/** Drawing-surface pixels; the canvas scales to its box and strokes are mapped back to these. */
const WIDTH = 720;
const HEIGHT = 220;

/** Sign with a finger, stylus or mouse; Clear starts over, Accept hands the drawing on as a PNG. */
export function SignaturePad({ label, onAccept, disabled }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [inked, setInked] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => clear(), []);

  function context(): CanvasRenderingContext2D | null {
    return canvasRef.current?.getContext('2d') ?? null;
  }

  function pointAt(event: PointerEvent<HTMLCanvasElement>): { x: number; y: number } {
    const box = event.currentTarget.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * WIDTH) / box.width, y: ((event.clientY - box.top) * HEIGHT) / box.height };
  }

  function clear() {
    const ctx = context();
    if (!ctx) return;
    // A white ground, so the PNG reads the same on any background it is later shown on.
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    ctx.strokeStyle = '#111a24';
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    setInked(false);
  }

  function start(event: PointerEvent<HTMLCanvasElement>) {
    const ctx = context();
    if (!ctx || disabled || busy) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drawing.current = true;
    const { x, y } = pointAt(event);
    ctx.beginPath();
    ctx.moveTo(x, y);
  }

  function move(event: PointerEvent<HTMLCanvasElement>) {
    const ctx = context();
    if (!ctx || !drawing.current) return;
    const { x, y } = pointAt(event);
    ctx.lineTo(x, y);
    ctx.stroke();
    setInked(true);
  }

  function end() {
    drawing.current = false;
  }

  async function accept() {
    const canvas = canvasRef.current;
    if (!canvas) return;
    setBusy(true);
    try {
      await onAccept(canvas.toDataURL('image/png'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signature-pad">
      <span className="field__label">{label}</span>
      <canvas
        ref={canvasRef}
        className="signature-pad__canvas"
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`${label}: sign here`}
        onPointerDown={start}
        onPointerMove={move}
        onPointerUp={end}
        onPointerCancel={end}
      />
      <p className="muted">{inked ? 'Check the signature, then accept it.' : 'Sign in the box with a finger, stylus or mouse.'}</p>
      <div className="actions">
        <button type="button" className="button" onClick={clear} disabled={!inked || busy || disabled}>
          Clear
        </button>
        <button type="button" className="button button--primary" onClick={() => void accept()} disabled={!inked || busy || disabled}>
          {busy ? 'Saving…' : 'Accept signature'}
        </button>
      </div>
    </div>
  );
}
