import type { OpName, ParsedParamsOf, ResultOf } from '@parley/protocol';
import type { EngineContext } from '../context.js';

/** Runs one operation for the acting user with already-validated params. */
export type Handler<K extends OpName> = (ctx: EngineContext, actor: string, params: ParsedParamsOf<K>) => Promise<ResultOf<K>>;

/** A set of handlers keyed by op name. */
export type Handlers<K extends OpName> = { [P in K]: Handler<P> };
