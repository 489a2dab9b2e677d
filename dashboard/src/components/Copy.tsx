import { useState } from 'preact/hooks';

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState<'idle' | 'ok' | 'fail'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('ok');
    } catch {
      setDone('fail');
    }
    setTimeout(() => setDone('idle'), 1500);
  };
  return (
    <button type="button" class="btn small" onClick={copy}>
      {done === 'ok' ? 'Copied' : done === 'fail' ? 'Select and copy' : (props.label ?? 'Copy')}
    </button>
  );
}

export function CodeBlock(props: { code: string; label: string }) {
  return (
    <div class="code-block">
      <div class="code-head">
        <span>{props.label}</span>
        <CopyButton text={props.code} />
      </div>
      {/* focusable: a long line scrolls, and the keyboard must reach it */}
      <pre tabIndex={0}>
        <code>{props.code}</code>
      </pre>
    </div>
  );
}
