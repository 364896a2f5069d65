export { EdgeNode, type EdgeNodeOptions, type EdgeNodeState } from './edge-node.js';
export { bdSeqPath, readBdSeq, takeBdSeq } from './bdseq-file.js';
