/** Characters of a unified social credit code (GB 32100-2015): digits and 21 letters, no I O Z S V. */
const CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters, or undefined when one is off the charset. */
export function usccCheckCharacter(first17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CHARSET.indexOf(first17[i] ?? "");
    if (value < 0) return undefined;
    sum += value * WEIGHTS[i];
  }
  const check = 31 - (sum % 31);
  return CHARSET[check === 31 ? 0 : check];
}

/** True when the value is 18 characters of the charset and its check character is right. */
export function isValidUnifiedSocialCreditCode(value: string): boolean {
  if (!/^[0-9A-HJ-NP-RTUW-Y]{18}$/.test(value)) return false;
  return usccCheckCharacter(value.slice(0, 17)) === value[17];
}
