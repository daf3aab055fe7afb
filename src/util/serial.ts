/**
 * Runs async changes one after another, in call order: the lock a
 * check-then-write needs (a limit counted, then the record stored) when
 * several streams may run it at once. A change that fails does not stop
 * the ones after it.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T> (change: () => Promise<T>): Promise<T> {
    const next = this.tail.catch(() => {}).then(change)
    this.tail = next
    return next
  }

  /** Resolves when every change run so far has ended, failed or not */
  async idle (): Promise<void> {
    await this.tail.catch(() => {})
  }
}
