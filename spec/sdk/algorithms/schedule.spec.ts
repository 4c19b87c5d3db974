import { expect } from 'chai';
import { formatSchedule, parseSchedule, scheduleValue, type Schedule } from '../../../sdk/algorithms/schedule.js';

describe('sdk/algorithms/schedule: the one linear schedule (ε of gmmqf/sgmmqf/dqn, Gamid τ and ε)', () => {
  it('goes linearly from start to end over fraction·totalSteps, then is exactly end', () => {
    const s: Schedule = { start: 1, end: 0.05, fraction: 0.1 };
    expect(scheduleValue(s, 0, 1000)).to.equal(1);
    expect(scheduleValue(s, 50, 1000)).to.be.closeTo(0.525, 1e-15);
    expect(scheduleValue(s, 99, 1000)).to.be.closeTo(1 - 0.95 * 0.99, 1e-15);
    // after the decay: end itself, not start + (end − start) (which is 0.050000000000000044 here)
    expect(scheduleValue(s, 100, 1000)).to.equal(0.05);
    expect(scheduleValue(s, 5000, 1000)).to.equal(0.05);
  });

  it('a decay span under one step gives start at step 0 and end from step 1 on', () => {
    const s: Schedule = { start: 0.5, end: 0.1, fraction: 0.1 };
    expect(scheduleValue(s, 0, 5)).to.equal(0.5);
    expect(scheduleValue(s, 1, 5)).to.equal(0.1);
  });

  it('formatSchedule inverts parseSchedule', () => {
    for (const text of ['0.3', '0.2:0.02:0.5', '1:0.05:0.1']) expect(formatSchedule(parseSchedule(text, '--x'))).to.equal(text);
  });
});
