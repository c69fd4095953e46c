// The marker chips: this screen's technique and region lists (kept in this browser, editable on the screen), the
// chip selected, and marking — by tapping a chip, by number key, or Enter on the selected one. Notes too.

import { $ } from '../lib/dom.js';
import { MARKER_VALUE_MAX } from '../lib/protocol.js';

/**
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('./view.js').View} View
 * @typedef {import('./toast.js').Toast} Toast
 * @typedef {import('./commands.js').Commands} Commands
 * @typedef {{ techniques: string[], regions: string[] }} Lists
 * @typedef {{ kind: 'technique' | 'region', value: string }} Chip
 */

const TECHNIQUES = ['effleurage', 'petrissage', 'myofascial release', 'trigger point', 'stretching'];
const REGIONS = ['neck/shoulders', 'back', 'arms/hands', 'legs/feet', 'head/face'];
/** Where this screen keeps its own technique and region lists. */
const LISTS_KEY = 'tableside.markerLists';
/** Keys 1…0 mark the chips: at most ten. */
const CHIPS_MAX = 10;

/**
 * One value per line, trimmed, no blanks or repeats, each within the API's length.
 * @param {string} text
 */
function parseList(text) {
  const values = text
    .split('\n')
    .map((v) => v.trim().slice(0, MARKER_VALUE_MAX))
    .filter((v) => v !== '');
  return [...new Set(values)];
}

export class MarkerLists {
  /**
   * @param {{ state: LiveState, view: View, toast: Toast, commands: Commands }} parts
   */
  constructor({ state, view, toast, commands }) {
    this.state = state;
    this.view = view;
    this.toast = toast;
    this.commands = commands;
    /** @type {Chip[]} the chips in key order: techniques, then regions */
    this.chips = [];
  }

  /**
   * This screen's technique and region lists: saved ones, else the defaults.
   * @returns {Lists}
   */
  load() {
    try {
      const saved = JSON.parse(localStorage.getItem(LISTS_KEY) ?? 'null');
      if (saved && Array.isArray(saved.techniques) && Array.isArray(saved.regions)) return saved;
    } catch {
      // unreadable: the defaults
    }
    return { techniques: TECHNIQUES, regions: REGIONS };
  }

  /** @param {Lists} lists */
  set(lists) {
    const { state } = this;
    /** @type {Chip[]} */
    const techniques = lists.techniques.map((value) => ({ kind: 'technique', value }));
    /** @type {Chip[]} */
    const regions = lists.regions.map((value) => ({ kind: 'region', value }));
    this.chips = [...techniques, ...regions].slice(0, CHIPS_MAX);
    state.selected = Math.min(state.selected, Math.max(0, this.chips.length - 1));
    $('techniques-edit', HTMLTextAreaElement).value = lists.techniques.join('\n');
    $('regions-edit', HTMLTextAreaElement).value = lists.regions.join('\n');
    this.buildChips();
    this.view.invalidate('controls');
  }

  save() {
    const lists = {
      techniques: parseList($('techniques-edit', HTMLTextAreaElement).value),
      regions: parseList($('regions-edit', HTMLTextAreaElement).value),
    };
    const total = lists.techniques.length + lists.regions.length;
    localStorage.setItem(LISTS_KEY, JSON.stringify(lists));
    this.set(lists);
    this.toast.show(total > CHIPS_MAX ? `Lists saved: the first ${CHIPS_MAX} are shown` : '✓ Lists saved');
  }

  reset() {
    localStorage.removeItem(LISTS_KEY);
    this.set(this.load());
    this.toast.show('✓ Default lists');
  }

  buildChips() {
    const { chips } = this;
    /**
     * @param {Chip} chip
     * @param {number} i
     */
    const make = (chip, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'chip';
      const key = String((i + 1) % 10);
      b.setAttribute('aria-keyshortcuts', key);
      b.dataset.kind = chip.kind;
      b.dataset.value = chip.value;
      const k = document.createElement('kbd');
      k.textContent = key;
      b.append(k, ` ${chip.value}`);
      b.addEventListener('click', () => {
        this.state.selected = i;
        this.view.invalidate('controls');
        this.commands.addMarker(chip.kind, chip.value);
      });
      return b;
    };
    $('techniques').replaceChildren(
      ...chips.filter((c) => c.kind === 'technique').map((c) => make(c, chips.indexOf(c))),
    );
    $('regions').replaceChildren(...chips.filter((c) => c.kind === 'region').map((c) => make(c, chips.indexOf(c))));
  }

  /** Marks the selected chip (Enter). */
  markSelected() {
    const chip = this.chips[this.state.selected];
    if (chip) this.commands.addMarker(chip.kind, chip.value);
  }

  /**
   * Moves the selection (arrows up and down), round the chips.
   * @param {number} step
   */
  select(step) {
    const { state, chips } = this;
    state.selected = (state.selected + step + chips.length) % chips.length;
    this.view.invalidate('controls');
    this.toast.show(`Selected: ${chips[state.selected].value} — Enter to mark`, 'confirm');
  }

  /**
   * Marks the chip of a number key (1…9, 0 the tenth) and selects it.
   * @param {number} n
   */
  markNumber(n) {
    const { chips } = this;
    const chip = chips[(n + 9) % 10];
    if (!chip) return;
    this.state.selected = chips.indexOf(chip);
    this.view.invalidate('controls');
    this.commands.addMarker(chip.kind, chip.value);
  }

  /** The lists' editor and the note field. */
  wire() {
    $('lists-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    $('lists-reset').addEventListener('click', () => this.reset());
    $('note-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('note-input', HTMLInputElement);
      const value = input.value.trim();
      if (!value) return;
      this.commands.addMarker('note', value).then(() => {
        input.value = '';
      });
    });
  }
}
