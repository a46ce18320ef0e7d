import { randomInt } from 'node:crypto';
import { findHealthTerm } from './health-terms';

/**
 * Aliases: the only segment name that leaves Outflow (it becomes the audience name on ad
 * platforms). A segment without one gets three random words such as `amber-falcon-river`: readable
 * in an ads manager, and telling nothing about who is in the audience.
 */

const FIRST = [
  'amber', 'ancient', 'autumn', 'azure', 'bold', 'brave', 'bright', 'calm', 'clever', 'cobalt', 'copper', 'coral',
  'crimson', 'crisp', 'dawn', 'deep', 'eager', 'early', 'emerald', 'fancy', 'gentle', 'glad', 'golden', 'grand',
  'happy', 'hazel', 'hidden', 'humble', 'indigo', 'ivory', 'jade', 'jolly', 'keen', 'kind', 'lavender', 'lively',
  'lucky', 'lunar', 'maple', 'merry', 'misty', 'noble', 'ochre', 'olive', 'quiet', 'rapid', 'rosy', 'ruby',
  'rustic', 'sandy', 'scarlet', 'silver', 'smooth', 'solar', 'steady', 'sunny', 'swift', 'tidy', 'velvet', 'violet',
  'vivid', 'warm', 'witty', 'young',
];

const SECOND = [
  'badger', 'beaver', 'bison', 'crane', 'dolphin', 'eagle', 'falcon', 'ferret', 'finch', 'fox', 'gazelle', 'gecko',
  'heron', 'ibis', 'jaguar', 'kestrel', 'koala', 'lemur', 'lynx', 'magpie', 'marten', 'meerkat', 'moose', 'narwhal',
  'ocelot', 'osprey', 'otter', 'owl', 'panda', 'panther', 'parrot', 'pelican', 'penguin', 'puffin', 'quail',
  'rabbit', 'raven', 'robin', 'salmon', 'seal', 'sparrow', 'squirrel', 'stork', 'swan', 'tapir', 'tiger', 'toucan',
  'trout', 'turtle', 'walrus', 'weasel', 'whale', 'wolf', 'wombat', 'wren', 'yak', 'zebra', 'lark', 'orca', 'hare',
  'bee', 'newt', 'mole', 'elk',
];

const THIRD = [
  'bay', 'beach', 'brook', 'canyon', 'cape', 'cedar', 'cliff', 'cloud', 'coast', 'comet', 'creek', 'delta', 'desert',
  'dune', 'field', 'fjord', 'forest', 'garden', 'glacier', 'glade', 'grove', 'harbor', 'hill', 'island', 'lagoon',
  'lake', 'meadow', 'mesa', 'moon', 'moor', 'mountain', 'oasis', 'ocean', 'orchard', 'park', 'peak', 'pine', 'plain',
  'planet', 'pond', 'prairie', 'rain', 'reef', 'ridge', 'river', 'savanna', 'sea', 'shore', 'sky', 'spring',
  'star', 'stone', 'summit', 'sun', 'thunder', 'tide', 'trail', 'tundra', 'valley', 'wave', 'willow', 'wind',
  'woods', 'meteor',
];

/** The word lists, exposed so tests can check every word against the health-term list. */
export const ALIAS_WORDS = { first: FIRST, second: SECOND, third: THIRD } as const;

/** Picks a uniformly random element with a cryptographic random source. */
export type RandomIndex = (size: number) => number;
const cryptoIndex: RandomIndex = (size) => randomInt(size);

/**
 * A new alias of three random words (`amber-falcon-river`), never one in `taken` and never one
 * that holds a health term. About 260,000 combinations.
 *
 * @example
 * generateAlias(new Set(existingAliases))
 */
export function generateAlias(taken: ReadonlySet<string> = new Set(), random: RandomIndex = cryptoIndex): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const alias = [FIRST, SECOND, THIRD].map((list) => list[random(list.length)]!).join('-');
    if (!taken.has(alias) && findHealthTerm(alias) === undefined) return alias;
  }
  throw new Error('could not find a free alias in 1000 attempts');
}

/** The segment's alias, or a new generated one when it has none. */
export function aliasFor(segment: { alias?: string | undefined }, taken: ReadonlySet<string> = new Set()): string {
  return segment.alias ?? generateAlias(taken);
}
