// Drawing the live screen: `invalidate(...)` marks what changed; one animation frame draws it. The figures, the hero
// (the verdict against the baseline), the signal line and banner, the header, the controls and the session's log.

import { $, setText } from '../lib/dom.js';
import { clock, DASH, ms, num, PHASE_WORDS, VERDICT_GLYPHS } from '../lib/format.js';
import { capitalise, heroModel, shorten, signalState, staleWords } from './signal.js';
import { streamWords } from './state.js';

/**
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('../lib/calm.js').CalmView} CalmView
 * @typedef {import('./charts.js').LiveCharts} LiveCharts
 * @typedef {'figures' | 'charts' | 'controls' | 'log'} Part
 */

/** How often the clock redraws what changes without a message ("last beat … ago", stale, the baseline's time), ms. */
const CLOCK_MS = 250;

export class View {
  /**
   * @param {{ state: LiveState, model: SessionModel, charts: LiveCharts, calm: CalmView }} parts
   */
  constructor({ state, model, charts, calm }) {
    this.state = state;
    this.model = model;
    this.charts = charts;
    this.calm = calm;
    /** @type {Record<Part, boolean>} */
    this.dirty = { figures: false, charts: false, controls: false, log: false };
    /** the animation frame requested, 0: none */
    this.frame = 0;
  }

  /** @param {...Part} parts */
  invalidate(...parts) {
    for (const p of parts) this.dirty[p] = true;
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    const { dirty } = this;
    this.frame = 0;
    if (dirty.figures) this.renderFigures();
    if (dirty.controls) this.renderControls();
    if (dirty.log) this.renderLog();
    if (dirty.charts && this.charts.built) {
      this.charts.redraw();
      this.calm.update(this.model);
    }
    this.renderSignal();
    for (const k of /** @type {Part[]} */ (Object.keys(dirty))) dirty[k] = false;
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  }

  /** The clock: "last beat … ago" and the stale state need no message to change. */
  startClock() {
    setInterval(() => {
      this.renderSignal();
      if (this.model.currentPhase?.kind === 'baseline') this.renderHero();
    }, CLOCK_MS);
  }

  renderSignal() {
    const { state } = this;
    const now = performance.now();
    const sig = signalState(state, now);
    if (document.body.dataset.signal !== sig.key) {
      document.body.dataset.signal = sig.key;
      this.dirty.figures = true;
      this.renderFigures();
    }
    setText($('signal-text'), sig.text);
    let since = '';
    if (state.lastBeatAt !== null && state.conn === 'up') {
      const s = (now - state.lastBeatAt) / 1000;
      since = s < 1.5 ? '· beat just now' : `· last beat ${Math.floor(s)} s ago`;
    }
    if (sig.key === 'stale' && state.lastBeatAt !== null) since = '';
    setText($('since'), since);
    if (state.conn === 'down') {
      const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
      setText(
        $('banner-text'),
        state.unpaired
          ? 'This screen is no longer paired with tableside (its access token was rotated): open the new pairing link ' +
              'on this device (the command "tableside token" shows it).'
          : `Not connected to tableside. Retrying ${wait > 0 ? `in ${wait} s` : 'now'}…`,
      );
    }
  }

  renderHero() {
    const h = heroModel(this.model);
    const hero = $('hero');
    hero.dataset.verdict = h.verdict;
    setText($('verdict'), h.title);
    setText($('verdict-glyph'), VERDICT_GLYPHS[h.verdict] ?? '');
    $('verdict-glyph').hidden = VERDICT_GLYPHS[h.verdict] === undefined;
    setText($('shift-pct'), h.pct ?? '');
    setText($('shift-values'), h.values ?? '');
    setText($('hero-detail'), h.detail ?? '');
    this.renderUsual();
    const live = document.body.dataset.signal === 'live';
    const showStale = !live && this.model.info !== null && h.verdict !== 'none';
    $('hero-stale').hidden = !showStale;
    setText($('hero-stale'), staleWords(document.body.dataset.signal));
    const gauge = $('gauge');
    if (h.band === undefined || h.band === null || h.delta === null || h.delta === undefined) {
      gauge.hidden = true;
    } else {
      gauge.hidden = false;
      const range = Math.max(3 * h.band, 0.25);
      /** @param {number} d */
      const pos = (d) => 50 + (Math.max(-range, Math.min(range, d)) / range) * 50;
      const band = $('gauge-band');
      band.style.left = `${pos(-h.band)}%`;
      band.style.width = `${pos(h.band) - pos(-h.band)}%`;
      $('gauge-pointer').style.left = `${pos(h.delta)}%`;
    }
  }

  /** Today against the usual, in small words: where the session's baseline sits against the client's usual range. */
  renderUsual() {
    const u = this.state.usual;
    const line = $('usual');
    line.hidden = u === null;
    line.dataset.position = u?.position ?? '';
    setText(
      line,
      u
        ? `Today's baseline ${u.words} (lnRMSSD ${num(u.lnRmssd, 2)}; usual ${num(u.normalLow, 2)}–${num(u.normalHigh, 2)})`
        : '',
    );
  }

  renderFigures() {
    this.renderHero();
    const m = this.model.latest;
    const q = m?.quality;
    const tooIrregular = q?.tooIrregular === true;
    setText($('hr'), num(m?.meanHrBpm, 0));
    setText($('rmssd'), tooIrregular ? '✕' : ms(m?.rmssdMs ?? null));
    setText($('lnrmssd'), num(m?.lnRmssd, 2));
    setText($('hf'), num(m?.hfMs2, 0));
    const slow = typeof q?.respirationNote === 'string' && q.respirationNote.includes('slower than');
    setText($('breathing'), m?.respirationRateBpm != null ? num(m.respirationRateBpm, 1) : slow ? '< 9' : DASH);

    let rmssdNote = '';
    if (tooIrregular) rmssdNote = 'too irregular';
    else if (q?.settling) rmssdNote = `settling… ${Math.floor(q.coveredS)} of 50 s`;
    setText($('rmssd-note'), rmssdNote);
    let hfNote = '';
    if (m?.hfMs2 != null && q?.spectralProvisional) hfNote = 'provisional (< 5 min)';
    else if (m && m.hfMs2 == null) hfNote = q?.spectralReason ? shorten(q.spectralReason) : 'waiting';
    setText($('hf-note'), hfNote);
    setText($('breathing-note'), slow ? 'HF under-reads: trust RMSSD' : '');
    setText($('hr-note'), '');

    /** @type {{ key: string, text: string, warn: boolean }[]} */
    const items = [];
    if (m) {
      const q = m.quality;
      items.push({ key: 'corrected', text: `corrected ${num(q.correctedPct, 1)} %`, warn: q.correctedPct > 5 });
      if (tooIrregular) {
        items.push({
          key: 'irregular',
          text: 'too irregular: more than 5 % of beats corrected — check the strap, or frequent premature beats',
          warn: true,
        });
      } else if (q.settling) {
        items.push({ key: 'settling', text: 'settling…: RMSSD needs a minute of clean beats', warn: false });
      }
      if (q.gapInWindow) items.push({ key: 'gap', text: 'a gap lies in the last minute', warn: true });
      if (slow && q.respirationNote) items.push({ key: 'slow', text: capitalise(q.respirationNote), warn: false });
    }
    if (!this.state.recording) items.push({ key: 'recording', text: 'not recording', warn: true });
    if (this.state.recording && this.state.storeWaiting) {
      items.push({
        key: 'store-waiting',
        text: 'another program holds the database: beats shown once stored',
        warn: true,
      });
    }
    const list = $('quality');
    const html = items.map((i) => `${i.key}|${i.text}|${i.warn}`).join('\n');
    if (list.dataset.key !== html) {
      list.dataset.key = html;
      list.replaceChildren(
        ...items.map((i) => {
          const li = document.createElement('li');
          li.dataset.quality = i.key;
          if (i.warn) li.className = 'warn';
          li.textContent = i.warn ? `⚠ ${i.text}` : i.text;
          return li;
        }),
      );
    }
  }

  renderHeader() {
    const { state } = this;
    const src = state.source;
    const demo = src?.demo === true;
    $('demo').hidden = !demo;
    $('calm-demo').hidden = !demo;
    // A strap is named by what it says it is (its advertised name) once known; a replay by its file.
    const strap = src?.kind === 'ble' || src?.kind === 'browser';
    const strapName = strap ? state.status?.device?.name : undefined;
    setText($('source'), src ? `${strap ? 'strap' : src.kind}: ${strapName ?? src.label}` : '');
    const info = this.model.info;
    const who = info ? info.clientLabel || `Session ${info.id}` : 'No session';
    setText($('client'), state.stream === 'client' ? who : `${streamWords(state.stream)}'s strap · ${who}`);
    const battery = state.status?.batteryPct;
    $('battery').hidden = battery === undefined || battery === null;
    if (battery !== undefined && battery !== null) {
      setText($('battery'), `battery ${battery} %`);
      $('battery').classList.toggle('warn', battery <= 15);
    }
    $('recording-stopped').hidden = state.recording;
    setText($('new-source'), src ? `${src.label}${demo ? ' (DEMO)' : ''}` : 'unknown');
    this.renderStreams();
  }

  /** With two straps (client and therapist), links to follow the other one; the current one is marked. */
  renderStreams() {
    const nav = $('streams');
    const { streams } = this.state;
    nav.hidden = streams.length < 2;
    const key = streams.map((s) => `${s.id}:${s.state}`).join(',');
    if (nav.dataset.key === key) return;
    nav.dataset.key = key;
    nav.replaceChildren(
      ...streams.map((s) => {
        const a = document.createElement('a');
        a.className = 'tool stream-link';
        a.href = s.id === 'client' ? '/' : `/?stream=${encodeURIComponent(s.id)}`;
        a.textContent = streamWords(s.id);
        a.title = `${s.label}${s.state ? ` · ${s.state}` : ''}`;
        if (s.id === this.state.stream) a.setAttribute('aria-current', 'page');
        return a;
      }),
    );
  }

  renderControls() {
    const { state, model } = this;
    const has = model.info !== null && state.conn === 'up';
    const current = model.currentPhase?.kind ?? null;
    for (const b of document.querySelectorAll('button.phase')) {
      if (!(b instanceof HTMLButtonElement)) continue;
      b.disabled = !has;
      b.setAttribute('aria-pressed', String(b.dataset.phase === current));
    }
    $('undo', HTMLButtonElement).disabled = !has || model.lastUndoable === null;
    $('end', HTMLButtonElement).disabled = !has;
    $('new', HTMLButtonElement).disabled = state.conn !== 'up';
    for (const chip of document.querySelectorAll('.chips button')) {
      if (chip instanceof HTMLButtonElement) chip.disabled = !has;
    }
    $('note-input', HTMLInputElement).disabled = !has;
    const noteButton = document.querySelector('#note-form button');
    if (noteButton instanceof HTMLButtonElement) noteButton.disabled = !has;
    document.querySelectorAll('.chips button').forEach((chip, i) => {
      chip.classList.toggle('selected', i === state.selected);
    });
    this.renderHeader();
  }

  renderLog() {
    const entries = [
      ...this.model.phases.map((p) => ({ atS: p.startedAtS, text: `${PHASE_WORDS[p.kind]} started`, cls: 'phase' })),
      ...this.model.markerList.map((m) => ({
        atS: m.atS,
        text: `${m.kind === 'note' ? 'Note' : m.kind === 'region' ? 'Region' : 'Technique'}: ${m.value}${m.undone ? ' (undone)' : ''}`,
        cls: m.undone ? 'undone' : m.kind,
      })),
    ].sort((a, b) => b.atS - a.atS);
    $('timeline').replaceChildren(
      ...entries.map((e) => {
        const li = document.createElement('li');
        li.className = e.cls;
        const t = document.createElement('span');
        t.className = 'at';
        t.textContent = clock(e.atS);
        li.append(t, ` ${e.text}`);
        return li;
      }),
    );
  }

  /**
   * The banner over the screen: `text` (kept as it is when empty), and a button `action` that runs `onAction`.
   * @param {string} text
   * @param {string | null} action
   * @param {(() => void) | null} onAction
   */
  showBanner(text, action, onAction) {
    const banner = $('banner');
    banner.hidden = false;
    if (text) setText($('banner-text'), text);
    const button = $('banner-action');
    button.hidden = !action;
    button.textContent = action ?? '';
    button.onclick = onAction ?? null;
    document.body.dataset.conn = this.state.conn;
  }

  hideBanner() {
    $('banner').hidden = true;
  }
}
