// The `junit` format: JUnit XML (testsuites/testsuite/testcase) through fast-xml-parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Status } from '../../shared/status.js';
import { joinPath, segment } from './names.js';
import { parsed, type CaseResult, type ParsedWorkload } from './types.js';

/** The largest report read; a bigger one is refused rather than parsed into memory. */
export const JUNIT_MAX_BYTES = 32 * 1024 * 1024;

const ATTR = '@_';
const LISTS = new Set(['testsuites', 'testsuite', 'testcase', 'failure', 'error', 'skipped']);

type XmlNode = Record<string, unknown>;

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  processEntities: true,
  isArray: (tagName) => LISTS.has(tagName),
});

const nodes = (value: unknown): XmlNode[] => (Array.isArray(value) ? (value.filter((item) => typeof item === 'object' && item !== null) as XmlNode[]) : []);
const attr = (node: XmlNode, name: string): string | undefined => {
  const value = node[`${ATTR}${name}`];
  return value === undefined ? undefined : String(value);
};

/** A failure element is FAIL (an assertion), an error element ERROR (the test broke), skipped SKIP. */
function caseStatus(testcase: XmlNode): Status {
  if ('failure' in testcase) return 'FAIL';
  if ('error' in testcase) return 'ERROR';
  if ('skipped' in testcase) return 'SKIP';
  return 'PASS';
}

function testcaseResult(testcase: XmlNode, path: string[]): CaseResult {
  const name = joinPath(...path, segment(attr(testcase, 'name') ?? attr(testcase, 'classname') ?? 'unnamed'));
  const seconds = Number(attr(testcase, 'time'));
  const status = caseStatus(testcase);
  return Number.isFinite(seconds) && seconds >= 0 ? { name, status, durationMs: Math.round(seconds * 1000) } : { name, status };
}

function walkSuite(suite: XmlNode, path: string[], cases: CaseResult[]): void {
  const name = attr(suite, 'name');
  const here = name ? [...path, segment(name)] : path;
  for (const testcase of nodes(suite.testcase)) cases.push(testcaseResult(testcase, here));
  for (const inner of nodes(suite.testsuite)) walkSuite(inner, here, cases);
}

export function parseJunit(text: string): ParsedWorkload {
  if (Buffer.byteLength(text) > JUNIT_MAX_BYTES) return parsed([], [`The JUnit report is larger than ${JUNIT_MAX_BYTES} bytes: not read`]);
  const valid = XMLValidator.validate(text);
  if (valid !== true) return parsed([], [`The JUnit report is not well-formed XML: ${valid.err.msg} at line ${valid.err.line}`]);
  const document = xml.parse(text) as XmlNode;
  const cases: CaseResult[] = [];
  for (const root of nodes(document.testsuites)) for (const suite of nodes(root.testsuite)) walkSuite(suite, [], cases);
  for (const suite of nodes(document.testsuite)) walkSuite(suite, [], cases);
  if (cases.length === 0) return parsed([], ['The JUnit report holds no test cases']);
  return parsed(cases, []);
}
