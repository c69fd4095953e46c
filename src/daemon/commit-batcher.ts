/**
 * Persist-then-publish. Pipeline events are gathered for one event-loop turn, committed in one transaction, and only
 * then handed to the viewers: a crash can never have shown a beat that is not stored. One transaction per turn keeps
 * a replay at `max` speed fast (thousands of events per commit) and adds at most one turn of latency live.
 *
 * If the store fails (disk full, read-only, locked), recording stops but the live view does not: the batcher reports
 * the failure once through `onStoreError` and from then on publishes without storing, so the screen keeps working
 * and says that recording stopped.
 */
import type { PipelineEvent } from '../domain/events.js';

export interface BatchStore {
  writeBatch(sessionId: number, events: readonly PipelineEvent[]): void;
}

export class CommitBatcher {
  private batch: PipelineEvent[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private recording = true;

  constructor(
    private readonly store: BatchStore,
    private readonly sessionId: number,
    private readonly onCommitted: (events: readonly PipelineEvent[]) => void,
    private readonly onStoreError: (err: unknown) => void,
  ) {}

  get isRecording(): boolean {
    return this.recording;
  }

  push(event: PipelineEvent): void {
    this.batch.push(event);
    if (this.scheduled === null) this.scheduled = setImmediate(() => this.flush());
  }

  /** Commits and publishes what is pending now (also called on stop, so nothing is left behind). */
  flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    if (this.recording) {
      try {
        this.store.writeBatch(this.sessionId, events);
      } catch (err) {
        this.recording = false;
        this.onStoreError(err);
      }
    }
    this.onCommitted(events);
  }
}
