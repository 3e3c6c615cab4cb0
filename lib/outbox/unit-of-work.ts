import { AsyncLocalStorage } from 'node:async_hooks';

/** A record staged by a send() inside an `@Outboxed()` handler, and how to publish it. */
export type StagedPublish = () => Promise<unknown>;

/** The events a request's handler sent, held until the handler has succeeded. */
export class UnitOfWork {
  private readonly staged: StagedPublish[] = [];

  stage(publish: StagedPublish): void {
    this.staged.push(publish);
  }

  /** Publishes what was staged, in order of staging. */
  async commit(): Promise<void> {
    const staged = this.staged.splice(0);
    await Promise.all(staged.map((publish) => publish()));
  }
}

/** The unit of work of the current request, if its handler is `@Outboxed()`. */
export const unitOfWork = new AsyncLocalStorage<UnitOfWork>();

/** The engine's Staging hook: the unit of work of the current call. */
export const unitOfWorkStaging = { current: (): UnitOfWork | undefined => unitOfWork.getStore() };
