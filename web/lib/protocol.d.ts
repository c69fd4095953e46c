// The module the daemon serves at /lib/protocol.js (src/server/routes/pages.ts): the facts the pages share with the
// daemon, each written once in src/ and typed from there, so `npm run check` sees what the page is given.
type Facts = typeof import('../../src/viewers/protocol.js').PAGE_FACTS;
export declare const PROTOCOL: Facts['PROTOCOL'];
export declare const PHASE_KINDS: Facts['PHASE_KINDS'];
export declare const MARKER_KINDS: Facts['MARKER_KINDS'];
export declare const MARKER_VALUE_MAX: Facts['MARKER_VALUE_MAX'];
export declare const TREND_FIELDS: Facts['TREND_FIELDS'];
export declare const READING_KINDS: Facts['READING_KINDS'];
export declare const READING_TIMING: Facts['READING_TIMING'];
export declare const BROWSER_STRAP: Facts['BROWSER_STRAP'];
