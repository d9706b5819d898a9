import {
  assessStickiness,
  balanceOf,
  countConsistentConversations,
  gradeOf,
} from '../../../src/analysis/stickiness.ts';
import type { PodReport } from '../../../src/types.ts';

function pods(...queries: number[]): PodReport[] {
  const total = queries.reduce((s, q) => s + q, 0);
  return queries.map((q, i) => ({
    name: `p${i}`,
    queries: q,
    hits: q,
    hitRate: 1,
    share: total ? q / total : null,
    restarted: false,
  }));
}

describe('gradeOf', () => {
  it.each([
    [1, 'EXCELLENT'],
    [0.95, 'EXCELLENT'],
    [0.9499, 'GOOD'],
    [0.85, 'GOOD'],
    [0.7, 'FAIR'],
    [0.6999, 'POOR'],
    [0, 'POOR'],
  ])('grades %d as %s', (score, grade) => {
    expect(gradeOf(score)).toBe(grade);
  });
});

describe('balanceOf', () => {
  it.each([
    ['an even spread', [100, 100, 100], 1],
    ['everything on one of three pods', [300, 0, 0], 0],
    ['a single pod (as even as one pod can be)', [300], 1],
  ])('is %s → %d', (_what, shares, expected) => {
    expect(balanceOf(shares)).toBeCloseTo(expected, 10);
  });

  it('lies strictly between 0 and 1 for an uneven spread', () => {
    const b = balanceOf([80, 10, 10]) as number;
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(1);
  });

  it('is null when there is nothing to spread', () => {
    expect(balanceOf([0, 0])).toBeNull();
    expect(balanceOf([])).toBeNull();
  });
});

describe('countConsistentConversations', () => {
  // flat [startMs, turn, pod] triples
  it.each([
    ['one conversation on one pod', [1, 1, 0, 2, 2, 0, 3, 3, 0], { conversations: 1, consistent: 1 }],
    ['one conversation that moved', [1, 1, 0, 2, 2, 1, 3, 3, 0], { conversations: 1, consistent: 0 }],
    [
      'a slot that started over on another pod (turns restart)',
      [1, 1, 0, 2, 2, 0, 3, 1, 1, 4, 2, 1],
      { conversations: 2, consistent: 2 },
    ],
    ['records appended out of order', [3, 3, 0, 1, 1, 0, 2, 2, 0], { conversations: 1, consistent: 1 }],
    ['a measured loop that starts mid-conversation', [5, 4, 2, 6, 5, 2], { conversations: 1, consistent: 1 }],
    ['nothing', [], { conversations: 0, consistent: 0 }],
  ])('counts %s', (_what, flat, expected) => {
    expect(countConsistentConversations(flat)).toEqual(expected);
  });
});

describe('assessStickiness', () => {
  const base = { readyPods: 3, deltaHitRate: 0.9, upperBound: 0.95 };

  it('grades from session consistency when the serving pod is known', () => {
    const r = assessStickiness({ ...base, pods: pods(100, 100, 100), sessions: 24, sessionConsistency: 0.9 });
    expect(r.stickiness).toEqual({
      grade: 'GOOD',
      sessionConsistency: 0.9,
      topPodShare: 1 / 3,
      balance: expect.closeTo(1, 10),
      hotSpot: false,
    });
  });

  it('grades from delta ÷ upper bound otherwise', () => {
    // 0.9 / 0.95 = 0.947 → GOOD
    const r = assessStickiness({ ...base, pods: pods(100, 100, 100), sessions: 24 });
    expect(r.stickiness.grade).toBe('GOOD');
    expect(r.stickiness.sessionConsistency).toBeUndefined();
  });

  it('caps a hot spot at FAIR and says so in words', () => {
    const r = assessStickiness({ ...base, deltaHitRate: 0.95, pods: pods(4772, 2, 2), sessions: 24 });
    expect(r.stickiness.hotSpot).toBe(true);
    expect(r.stickiness.grade).toBe('FAIR');
    expect(r.warnings.join(' ')).toMatch(
      /hot spot: pod p0 took 99\.9 % of the queries while 3 pods were Ready and 24 sessions ran/,
    );
  });

  it.each([
    ['one Ready pod', { readyPods: 1, sessions: 24 }],
    ['no more sessions than pods', { readyPods: 3, sessions: 3 }],
    ['sessions unknown (no records)', { readyPods: 3 }],
  ])('sees no hot spot with %s', (_what, over) => {
    const r = assessStickiness({ ...base, ...over, pods: pods(1000, 0, 0) });
    expect(r.stickiness.hotSpot).toBe(false);
  });

  it('keeps a POOR grade POOR under a hot spot', () => {
    const r = assessStickiness({ ...base, deltaHitRate: 0.2, pods: pods(1000, 1, 1), sessions: 24 });
    expect(r.stickiness).toMatchObject({ hotSpot: true, grade: 'POOR' });
  });

  it('grades POOR when nothing was queried', () => {
    const r = assessStickiness({ ...base, deltaHitRate: null, pods: pods(0, 0), sessions: 4 });
    expect(r.stickiness).toMatchObject({ grade: 'POOR', topPodShare: null, balance: null });
  });
});
