/** `n` random bytes as lowercase hex (crypto.getRandomValues, else Math.random). */
export const hex = (n: number): string => {
  const b = new Uint8Array(n);
  try {
    crypto.getRandomValues(b);
  } catch {
    for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
  }
  let s = '';
  for (let i = 0; i < n; i++) s += (b[i]! | 256).toString(16).slice(1);
  return s;
};
