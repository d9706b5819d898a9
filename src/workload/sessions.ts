// The session pool (DESIGN.md "Semantics: Session pool"): `sessions` conversations at once, each turn
// resending the whole conversation so far like a chat client; a session that has used its `turns`
// starts over as a new conversation with fresh seed-derived content. Content depends only on
// (seed, session, conversation, turn), never on timing; answers are whatever the server returned.
import type { ChatMessage } from '../tokenize/chat-template.ts';
import type { ChatEncoder } from '../tokenize/tokenizer.ts';
import { owns, type Partition } from './plan.ts';
import { createPrng, deriveSeed } from './prng.ts';
import { generateText } from './text.ts';
import { EOT_ID, type BlockChain, type PrefixTracker } from './upper-bound.ts';

export interface WorkloadShape {
  seed: number;
  sessions: number;
  turns: number;
  systemPromptTokens: number;
  userTokens: number;
}

/** One session between turns; JSON-serialisable (warm-up hands it to ramp-load). */
export interface SessionState {
  index: number;
  /** 0 for the session's first conversation, +1 each time it starts over. */
  conversation: number;
  /** Turns answered in the current conversation. */
  turnsDone: number;
  /** The conversation so far: system prompt, then user/assistant pairs. */
  messages: ChatMessage[];
  /** Last `x-session-token` the gateway returned, echoed on the next request (llm-d session affinity). */
  sessionToken?: string;
}

export interface PreparedTurn {
  session: number;
  conversation: number;
  /** 1-based turn within the conversation. */
  turn: number;
  messages: ChatMessage[];
  dateString: string;
  promptIds: number[];
  prefixReusableTokens: number;
  /** Where the upper-bound tracker's walk over promptIds ended: the answer continues from there. */
  chain: BlockChain;
  sessionToken?: string;
}

const SYSTEM_STREAM = 0x5157;
/** What the template puts after an answer's content. */
const END_OF_TURN = [EOT_ID];
const USER_STREAM = 0x05e7;
const SYSTEM_OPENING = 'You are a helpful assistant. Answer the question in a few sentences.';

/** The seed-derived texts of a workload. */
export class WorkloadContent {
  readonly systemPrompt: string;
  /** One object for every conversation: encoders remember a message's ids by its identity. */
  private readonly systemMessage: ChatMessage;
  private readonly shape: WorkloadShape;
  private readonly count: (text: string) => number;

  constructor(shape: WorkloadShape, count: (text: string) => number) {
    this.shape = shape;
    this.count = count;
    const prng = createPrng(deriveSeed(shape.seed, SYSTEM_STREAM));
    this.systemPrompt =
      shape.systemPromptTokens > 0 ? generateText(prng, shape.systemPromptTokens, count, SYSTEM_OPENING) : '';
    this.systemMessage = Object.freeze({ role: 'system', content: this.systemPrompt });
  }

  userMessage(session: number, conversation: number, turn: number): string {
    const prng = createPrng(deriveSeed(this.shape.seed, USER_STREAM, session, conversation, turn));
    return generateText(prng, this.shape.userTokens, this.count);
  }

  /** The messages a conversation starts from. */
  opening(): ChatMessage[] {
    return this.systemPrompt ? [this.systemMessage] : [];
  }
}

export function freshSession(index: number, content: WorkloadContent): SessionState {
  return { index, conversation: 0, turnsDone: 0, messages: content.opening() };
}

export class SessionPool {
  private readonly shape: WorkloadShape;
  private readonly content: WorkloadContent;
  private readonly encoder: ChatEncoder;
  private readonly tracker: PrefixTracker;
  private readonly states = new Map<number, SessionState>();
  /** Idle sessions, least recently used first: sessions take turns in order. */
  private readonly idle: SessionState[] = [];

  constructor(opts: {
    shape: WorkloadShape;
    part: Partition;
    content: WorkloadContent;
    encoder: ChatEncoder;
    tracker: PrefixTracker;
    /** Sessions carried over from warm-up; the partition's others start fresh. */
    initial?: readonly SessionState[];
  }) {
    this.shape = opts.shape;
    this.content = opts.content;
    this.encoder = opts.encoder;
    this.tracker = opts.tracker;
    const carried = new Map((opts.initial ?? []).map((s) => [s.index, s]));
    for (let index = 0; index < opts.shape.sessions; index++) {
      if (!owns(opts.part, index)) continue;
      const prior = carried.get(index);
      const state: SessionState = prior ? structuredClone(prior) : freshSession(index, opts.content);
      this.states.set(index, state);
      this.idle.push(state);
    }
  }

  get size(): number {
    return this.states.size;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** The least recently used idle session, now busy; undefined when all are busy. */
  acquire(): SessionState | undefined {
    return this.idle.shift();
  }

  /** Builds the session's next request and computes its upper-bound share; the prompt enters the cache. */
  prepare(state: SessionState, dateString: string): PreparedTurn {
    if (state.turnsDone >= this.shape.turns) {
      state.conversation++;
      state.turnsDone = 0;
      state.messages = this.content.opening();
    }
    const turn = state.turnsDone + 1;
    const user: ChatMessage = {
      role: 'user',
      content: this.content.userMessage(state.index, state.conversation, turn),
    };
    const messages = [...state.messages, user];
    const promptIds = this.encoder.encodeChat(messages, dateString);
    // Sent means the server may cache it, whatever the answer turns out to be.
    const { reusableTokens: prefixReusableTokens, chain } = this.tracker.observe(promptIds);
    const prepared: PreparedTurn = {
      session: state.index,
      conversation: state.conversation,
      turn,
      messages,
      dateString,
      promptIds,
      prefixReusableTokens,
      chain,
    };
    if (state.sessionToken !== undefined) prepared.sessionToken = state.sessionToken;
    return prepared;
  }

  /**
   * Ends a turn and makes the session idle again. An answer extends the conversation (and the cache, with
   * the answer re-tokenized as the next prompt will hold it); a failed turn (answer null) is retried with
   * the same content next time. Returns the answer's token count.
   */
  complete(prepared: PreparedTurn, answer: string | null, sessionToken?: string): number {
    const state = this.states.get(prepared.session);
    if (!state) throw new Error(`session ${prepared.session} is not in this pool`);
    if (sessionToken !== undefined) state.sessionToken = sessionToken;
    let answerTokens = 0;
    if (answer !== null) {
      const answerIds = this.encoder.encodeText(answer.trim());
      answerTokens = answerIds.length;
      this.tracker.extend(prepared.chain, answerIds);
      this.tracker.extend(prepared.chain, END_OF_TURN);
      const reply: ChatMessage = { role: 'assistant', content: answer };
      this.encoder.remember(reply, answerIds);
      state.messages = [...prepared.messages, reply];
      state.turnsDone = prepared.turn;
    }
    this.idle.push(state);
    return answerTokens;
  }

  /** Gives back a session acquired but not used; it keeps its place at the head of the queue. */
  release(state: SessionState): void {
    this.idle.unshift(state);
  }

  /** Every session's state, by index (for `<out>.sessions.json`). */
  snapshot(): SessionState[] {
    return [...this.states.values()].sort((a, b) => a.index - b.index).map((s) => structuredClone(s));
  }
}

/**
 * Puts what warm-up already sent into a fresh tracker: each carried conversation, answers included
 * (the date string is the one warm-up used). Covers every prefix of it, since block keys are chained.
 */
export function seedTracker(
  tracker: PrefixTracker,
  encoder: ChatEncoder,
  sessions: readonly SessionState[],
  dateString: string,
): void {
  for (const s of sessions) {
    if (s.messages.some((m) => m.role !== 'system'))
      tracker.add(encoder.encodeChat(s.messages, dateString, false));
  }
}
