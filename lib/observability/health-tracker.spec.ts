import { AuthenticationError } from '../errors/authentication.error.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { HealthTracker, isFatal } from './health-tracker.js';

describe('HealthTracker', () => {
  it('counts failed requests since the last acknowledged one, and keeps a fatal failure until then', () => {
    let now = 1000;
    const tracker = new HealthTracker(() => now);
    expect(tracker.lastAckAgoMs).toBeNull();
    tracker.answered([], [{ baseOffset: 0 }]);
    now = 1500;
    expect(tracker.lastAckAgoMs).toBe(500);
    const moved = new SendFailedError('t', true, 'NOT_LEADER_OR_FOLLOWER', 'moved');
    tracker.answered([], [{ error: moved }, { baseOffset: 1 }]);
    tracker.answered([], [{ error: moved }]);
    expect(tracker.consecutiveFailures).toBe(2);
    expect(tracker.fatal).toBeNull();
    const refused = new AuthenticationError('bad password');
    expect(isFatal(refused)).toBe(true);
    tracker.failed(refused);
    expect(tracker.fatal).toBe(`AuthenticationError: ${refused.message}`);
    tracker.answered([], [{ baseOffset: 2 }]);
    expect(tracker.consecutiveFailures).toBe(0);
    expect(tracker.fatal).toBeNull();
  });
});
