// One way to observe something: subscribers added with on(), called in order by emit().
export class Listeners<T> {
  private readonly callbacks: Array<(value: T) => void> = [];

  // Adds a subscriber; the returned function removes it.
  on(cb: (value: T) => void): () => void {
    this.callbacks.push(cb);
    return () => {
      const i = this.callbacks.indexOf(cb);
      if (i >= 0) this.callbacks.splice(i, 1);
    };
  }

  // Calls every subscriber (one added during the call waits for the next emit).
  emit(value: T): void {
    for (const cb of [...this.callbacks]) cb(value);
  }
}
