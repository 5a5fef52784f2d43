import { Document, isMap, isScalar, type Pair } from 'yaml';

/**
 * Renders a config document as YAML with comments for the technician who edits it by hand
 * (docs/architecture.md#conventions). `comments` maps a key path ("broker.tls") to the comment placed above that key.
 */
export function renderCommentedYaml(
  value: object,
  options: { header: string[]; comments: Record<string, string> },
): string {
  const doc = new Document(value);
  doc.commentBefore = options.header.map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  for (const [path, comment] of Object.entries(options.comments)) {
    const pair = findPair(doc, path.split('.'));
    if (pair === undefined) throw new RangeError(`no key "${path}" in the document to comment`);
    if (!isScalar(pair.key)) throw new RangeError(`key "${path}" is not a scalar`);
    pair.key.commentBefore = comment
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}

function findPair(doc: Document, path: string[]): Pair | undefined {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    pair = node.items.find((item) => isScalar(item.key) && item.key.value === key) as Pair | undefined;
    if (pair === undefined) return undefined;
    node = pair.value;
  }
  return pair;
}
