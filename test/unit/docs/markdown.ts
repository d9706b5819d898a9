// Pure helpers of the docs test: fenced blocks, inline code and links out of Markdown; shell text into
// commands and words. Enough of CommonMark and POSIX sh for documentation, not more.

export interface CodeBlock {
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i] as string);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const fence = open[2] as string;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] as string;
      if (
        l.trim().startsWith((fence[0] as string).repeat(fence.length)) &&
        l.trim().replace(/[`~]/g, '') === ''
      )
        break;
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
    }
    blocks.push({ lang: (open[3] as string).toLowerCase(), text: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** Markdown with fenced blocks blanked out (line numbers kept), for prose-only scans. */
export function prose(markdown: string): string {
  const lines = markdown.split('\n');
  for (const b of codeBlocks(markdown)) {
    const end = b.line + b.text.split('\n').length; // fence, body, closing fence
    for (let k = b.line - 1; k <= end && k < lines.length; k++) lines[k] = '';
  }
  return lines.join('\n');
}

export function inlineCode(markdown: string): string[] {
  return [...prose(markdown).matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)].map((m) =>
    (m[2] as string).trim(),
  );
}

/** Link targets of `[text](target)`, without titles. Images too. */
export function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => m[1] as string,
  );
}

/**
 * Shell text → simple commands, each a list of words: `\` continuations joined, comments dropped, split
 * at `&&`, `||`, `;`, `|` and newlines outside quotes. `$(…)` substitutions become their own commands.
 * In `console` blocks only `$ `-prompted lines are commands.
 */
export function shellCommands(text: string, lang = 'bash'): string[][] {
  let src = text.replace(/\\\n/g, ' ');
  if (lang === 'console') {
    src = src
      .split('\n')
      .filter((l) => /^\s*[$#] /.test(l) && !/^\s*# /.test(l))
      .map((l) => l.replace(/^\s*\$ /, ''))
      .join('\n');
  }
  const commands: string[][] = [];
  const substitutions: string[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < src.length) word = (word ?? '') + src[++i];
      else word = (word ?? '') + c;
      continue;
    }
    if (c === '$' && src[i + 1] === '(') {
      // Take the balanced $(…) as one word, and check what runs inside it as a command too.
      let depth = 0;
      let j = i + 1;
      for (; j < src.length; j++) {
        if (src[j] === '(') depth++;
        else if (src[j] === ')' && --depth === 0) break;
      }
      substitutions.push(src.slice(i + 2, j));
      word = `${word ?? ''}$(…)`;
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      word = word ?? '';
    } else if (c === '\\' && i + 1 < src.length) word = (word ?? '') + src[++i];
    else if (c === '#' && word === null) {
      while (i + 1 < src.length && src[i + 1] !== '\n') i++;
    } else if (c === '\n' || c === ';') endCommand();
    else if (c === '&' || c === '|') {
      if (src[i + 1] === c) i++;
      endCommand();
    } else if (c === ' ' || c === '\t') endWord();
    else word = (word ?? '') + c;
  }
  endCommand();
  return [...commands, ...substitutions.flatMap((s) => shellCommands(s))];
}

/** The command words without leading `VAR=value` assignments and wrappers (sudo, time, env, npx). */
export function stripWrappers(words: readonly string[]): string[] {
  let k = 0;
  while (k < words.length) {
    const w = words[k] as string;
    if (/^[A-Za-z_]\w*=/.test(w) || ['sudo', 'time', 'env', 'npx', 'exec'].includes(w)) k++;
    else break;
  }
  return words.slice(k);
}

/** A word that stands for something the reader fills in. */
export function isPlaceholder(word: string): boolean {
  return /[<>$…*{}]/.test(word) || /^[A-Z][A-Z0-9_]*$/.test(word);
}
