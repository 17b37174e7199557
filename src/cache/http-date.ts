/**
 * HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, plus the obsolete RFC 850 and
 * asctime forms recipients must accept. Anything else (a `UTC` zone, a
 * two-digit year in the IMF form, a missing comma, doubled spaces, dashes,
 * a one-digit hour) is invalid: `Date.parse` would accept most of those, and an
 * invalid `Expires` must mean "already stale", so the parser is strict.
 * Names are matched case-insensitively (lenient, as the conformance suite prefers).
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MON = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '([0-9]{2}):([0-9]{2}):([0-9]{2})';

const IMF = new RegExp(`^${DAY}, ([0-9]{2}) ${MON} ([0-9]{4}) ${TIME} gmt$`, 'i');
const RFC850 = new RegExp(`^${LONG_DAY}, ([0-9]{2})-${MON}-([0-9]{2}) ${TIME} gmt$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MON} ([0-9 ][0-9]) ${TIME} ([0-9]{4})$`, 'i');

/** Epoch ms, or NaN when `v` is not an HTTP-date. */
export function parseHttpDate(v: string | string[] | number | undefined): number {
  if (v === undefined) return NaN;
  const s = (Array.isArray(v) ? v[0] ?? '' : String(v)).trim();
  let m = IMF.exec(s);
  if (m) return build(m[3]!, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(s);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years ahead is the most recent past one
    const yy = Number(m[3]);
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + yy;
    if (year > now + 50) year -= 100;
    return build(String(year), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(s);
  if (m) return build(m[6]!, m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!);
  return NaN;
}

function build(year: string, mon: string, day: string, h: string, mi: string, sec: string): number {
  const month = MONTHS.indexOf(mon.toLowerCase());
  const d = Number(day);
  const hh = Number(h);
  const mm = Number(mi);
  const ss = Number(sec);
  if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return NaN;
  const t = Date.UTC(Number(year), month, d, hh, mm, Math.min(ss, 59));
  // reject dates like 31 Feb that Date.UTC would roll over
  return new Date(t).getUTCDate() === d ? t : NaN;
}

/** IMF-fixdate for epoch ms. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
