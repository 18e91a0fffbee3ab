// Ids of the kernel LOG keys and bare words, found from a token's characters without building a string.
//
// ident(s, a, n) names the token s[a, a+n) (the part before '=' for KEY=VALUE): two- and three-letter tokens by their
// packed character codes, longer ones character by character (cheaper than a startsWith call). -1 = not a kernel word.

/** Key IN=. */
export const K_IN = 1;
/** Key OUT=. */
export const K_OUT = 2;
/** Key PHYSIN=. */
export const K_PHYSIN = 3;
/** Key PHYSOUT=. */
export const K_PHYSOUT = 4;
/** Key MAC=. */
export const K_MAC = 5;
/** Key MACSRC=. */
export const K_MACSRC = 6;
/** Key MACDST=. */
export const K_MACDST = 7;
/** Key MACPROTO=. */
export const K_MACPROTO = 8;
/** Key SRC=. */
export const K_SRC = 9;
/** Key DST=. */
export const K_DST = 10;
/** Key LEN=. */
export const K_LEN = 11;
/** Key TOS=. */
export const K_TOS = 12;
/** Key PREC=. */
export const K_PREC = 13;
/** Key TTL=. */
export const K_TTL = 14;
/** Key ID=. */
export const K_ID = 15;
/** Key TC=. */
export const K_TC = 16;
/** Key HOPLIMIT=. */
export const K_HOPLIMIT = 17;
/** Key FLOWLBL=. */
export const K_FLOWLBL = 18;
/** Key PROTO=. */
export const K_PROTO = 19;
/** Key SPT=. */
export const K_SPT = 20;
/** Key DPT=. */
export const K_DPT = 21;
/** Key SEQ=. */
export const K_SEQ = 22;
/** Key ACK=. */
export const K_ACK = 23;
/** Key WINDOW=. */
export const K_WINDOW = 24;
/** Key RES=. */
export const K_RES = 25;
/** Key URGP=. */
export const K_URGP = 26;
/** Key TYPE=. */
export const K_TYPE = 27;
/** Key CODE=. */
export const K_CODE = 28;
/** Key UID=. */
export const K_UID = 29;
/** Key GID=. */
export const K_GID = 30;
/** Key MARK=. */
export const K_MARK = 31;
/** Key FRAG=. */
export const K_FRAG = 32;
/** Bare word DF. */
export const W_DF = 33;
/** Bare word MF. */
export const W_MF = 34;
/** Bare word CE. */
export const W_CE = 35;
/** Bare word CWR. */
export const W_CWR = 36;
/** Bare word ECE. */
export const W_ECE = 37;
/** Bare word URG. */
export const W_URG = 38;
/** Bare word PSH. */
export const W_PSH = 39;
/** Bare word RST. */
export const W_RST = 40;
/** Bare word SYN. */
export const W_SYN = 41;
/** Bare word FIN. */
export const W_FIN = 42;
/** Bare word OPT. */
export const W_OPT = 43;
/** Bare word INCOMPLETE. */
export const W_INCOMPLETE = 44;
/** Bare word TRUNCATED. */
export const W_TRUNCATED = 45;
/** Bare word AH. */
export const W_AH = 46;
/** Bare word ESP. */
export const W_ESP = 47;
/** The ACK flag word (the key ACK= is K_ACK; the two are told apart by the '='). */
export const W_ACK = K_ACK;

/** Id of the key or bare word s[a, a+n), or -1. */
export function ident(s: string, a: number, n: number): number {
  switch (n) {
    case 2: {
      switch ((s.charCodeAt(a) << 8) | s.charCodeAt(a + 1)) {
        case 0x494e: return K_IN; // IN
        case 0x4944: return K_ID; // ID
        case 0x5443: return K_TC; // TC
        case 0x4446: return W_DF; // DF
        case 0x4d46: return W_MF; // MF
        case 0x4345: return W_CE; // CE
        case 0x4148: return W_AH; // AH
        default: return -1;
      }
    }
    case 3: {
      switch ((s.charCodeAt(a) << 16) | (s.charCodeAt(a + 1) << 8) | s.charCodeAt(a + 2)) {
        case 0x4f5554: return K_OUT; // OUT
        case 0x4d4143: return K_MAC; // MAC
        case 0x535243: return K_SRC; // SRC
        case 0x445354: return K_DST; // DST
        case 0x4c454e: return K_LEN; // LEN
        case 0x544f53: return K_TOS; // TOS
        case 0x54544c: return K_TTL; // TTL
        case 0x535054: return K_SPT; // SPT
        case 0x445054: return K_DPT; // DPT
        case 0x534551: return K_SEQ; // SEQ
        case 0x41434b: return K_ACK; // ACK
        case 0x524553: return K_RES; // RES
        case 0x554944: return K_UID; // UID
        case 0x474944: return K_GID; // GID
        case 0x435752: return W_CWR; // CWR
        case 0x454345: return W_ECE; // ECE
        case 0x555247: return W_URG; // URG
        case 0x505348: return W_PSH; // PSH
        case 0x525354: return W_RST; // RST
        case 0x53594e: return W_SYN; // SYN
        case 0x46494e: return W_FIN; // FIN
        case 0x4f5054: return W_OPT; // OPT
        case 0x455350: return W_ESP; // ESP
        default: return -1;
      }
    }
    case 4: {
      const c = s.charCodeAt(a);
      if (c === 80 && s.charCodeAt(a + 1) === 82 && s.charCodeAt(a + 2) === 69 && s.charCodeAt(a + 3) === 67) return K_PREC;
      if (c === 85 && s.charCodeAt(a + 1) === 82 && s.charCodeAt(a + 2) === 71 && s.charCodeAt(a + 3) === 80) return K_URGP;
      if (c === 84 && s.charCodeAt(a + 1) === 89 && s.charCodeAt(a + 2) === 80 && s.charCodeAt(a + 3) === 69) return K_TYPE;
      if (c === 67 && s.charCodeAt(a + 1) === 79 && s.charCodeAt(a + 2) === 68 && s.charCodeAt(a + 3) === 69) return K_CODE;
      if (c === 77 && s.charCodeAt(a + 1) === 65 && s.charCodeAt(a + 2) === 82 && s.charCodeAt(a + 3) === 75) return K_MARK;
      if (c === 70 && s.charCodeAt(a + 1) === 82 && s.charCodeAt(a + 2) === 65 && s.charCodeAt(a + 3) === 71) return K_FRAG;
      return -1;
    }
    case 5: {
      const c = s.charCodeAt(a);
      if (c === 80 && s.charCodeAt(a + 1) === 82 && s.charCodeAt(a + 2) === 79 && s.charCodeAt(a + 3) === 84 && s.charCodeAt(a + 4) === 79) return K_PROTO;
      return -1;
    }
    case 6: {
      const c = s.charCodeAt(a);
      if (c === 80 && s.charCodeAt(a + 1) === 72 && s.charCodeAt(a + 2) === 89 && s.charCodeAt(a + 3) === 83 && s.charCodeAt(a + 4) === 73 && s.charCodeAt(a + 5) === 78) return K_PHYSIN;
      if (c === 77 && s.charCodeAt(a + 1) === 65 && s.charCodeAt(a + 2) === 67 && s.charCodeAt(a + 3) === 83 && s.charCodeAt(a + 4) === 82 && s.charCodeAt(a + 5) === 67) return K_MACSRC;
      if (c === 77 && s.charCodeAt(a + 1) === 65 && s.charCodeAt(a + 2) === 67 && s.charCodeAt(a + 3) === 68 && s.charCodeAt(a + 4) === 83 && s.charCodeAt(a + 5) === 84) return K_MACDST;
      if (c === 87 && s.charCodeAt(a + 1) === 73 && s.charCodeAt(a + 2) === 78 && s.charCodeAt(a + 3) === 68 && s.charCodeAt(a + 4) === 79 && s.charCodeAt(a + 5) === 87) return K_WINDOW;
      return -1;
    }
    case 7: {
      const c = s.charCodeAt(a);
      if (c === 80 && s.charCodeAt(a + 1) === 72 && s.charCodeAt(a + 2) === 89 && s.charCodeAt(a + 3) === 83 && s.charCodeAt(a + 4) === 79 && s.charCodeAt(a + 5) === 85 && s.charCodeAt(a + 6) === 84) return K_PHYSOUT;
      if (c === 70 && s.charCodeAt(a + 1) === 76 && s.charCodeAt(a + 2) === 79 && s.charCodeAt(a + 3) === 87 && s.charCodeAt(a + 4) === 76 && s.charCodeAt(a + 5) === 66 && s.charCodeAt(a + 6) === 76) return K_FLOWLBL;
      return -1;
    }
    case 8: {
      const c = s.charCodeAt(a);
      if (c === 77 && s.charCodeAt(a + 1) === 65 && s.charCodeAt(a + 2) === 67 && s.charCodeAt(a + 3) === 80 && s.charCodeAt(a + 4) === 82 && s.charCodeAt(a + 5) === 79 && s.charCodeAt(a + 6) === 84 && s.charCodeAt(a + 7) === 79) return K_MACPROTO;
      if (c === 72 && s.charCodeAt(a + 1) === 79 && s.charCodeAt(a + 2) === 80 && s.charCodeAt(a + 3) === 76 && s.charCodeAt(a + 4) === 73 && s.charCodeAt(a + 5) === 77 && s.charCodeAt(a + 6) === 73 && s.charCodeAt(a + 7) === 84) return K_HOPLIMIT;
      return -1;
    }
    case 9: {
      const c = s.charCodeAt(a);
      if (c === 84 && s.charCodeAt(a + 1) === 82 && s.charCodeAt(a + 2) === 85 && s.charCodeAt(a + 3) === 78 && s.charCodeAt(a + 4) === 67 && s.charCodeAt(a + 5) === 65 && s.charCodeAt(a + 6) === 84 && s.charCodeAt(a + 7) === 69 && s.charCodeAt(a + 8) === 68) return W_TRUNCATED;
      return -1;
    }
    case 10: {
      const c = s.charCodeAt(a);
      if (c === 73 && s.charCodeAt(a + 1) === 78 && s.charCodeAt(a + 2) === 67 && s.charCodeAt(a + 3) === 79 && s.charCodeAt(a + 4) === 77 && s.charCodeAt(a + 5) === 80 && s.charCodeAt(a + 6) === 76 && s.charCodeAt(a + 7) === 69 && s.charCodeAt(a + 8) === 84 && s.charCodeAt(a + 9) === 69) return W_INCOMPLETE;
      return -1;
    }
    default: return -1;
  }
}
