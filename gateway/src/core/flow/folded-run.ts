/**
 * One async job that many callers trigger: a trigger while it runs folds into one more pass after
 * the current one (however many triggers came), never a second job beside it. The uplink, the
 * Sparkplug outbox feed and the ledger stream fill their in-flight windows this way.
 */
export class FoldedRun {
  private running = false;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly opts: {
      /** Checked before every pass after the first: false ends the run (e.g. the link dropped). */
      more?: () => boolean;
      /** A pass that threw ends the run; this hears why. */
      onError: (e: unknown) => void;
      /** After the run ends, however it ended. */
      onIdle?: () => void;
    },
  ) {}

  get busy(): boolean {
    return this.running;
  }

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && (this.opts.more?.() ?? true));
      } catch (e) {
        this.opts.onError(e);
      } finally {
        this.running = false;
        this.opts.onIdle?.();
      }
    })();
  }
}
