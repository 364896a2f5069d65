// Minimal typing for the CommonJS package des.js (only what DKGA-02 uses).
declare module 'des.js' {
  interface DesCipher {
    update(data: ArrayLike<number>): number[];
    final(): number[];
  }
  interface DesOptions {
    type: 'encrypt' | 'decrypt';
    key: ArrayLike<number>;
    padding?: boolean;
  }
  const desjs: {
    DES: { create(options: DesOptions): DesCipher };
  };
  export default desjs;
}
