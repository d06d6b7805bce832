/**
 * VDSM payload examples the tests and the bench read (test/fixtures/vdsm/,
 * see its README for where each shape comes from). One place names the
 * directory, so a test file can move without its fixtures' paths changing.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const DIR = new URL('../fixtures/vdsm/', import.meta.url)

export const fixturePath = (name: string): string => fileURLToPath(new URL(name, DIR))
export const fixtureText = (name: string): string => readFileSync(new URL(name, DIR), 'utf8')
export const fixtureJson = (name: string): any => JSON.parse(fixtureText(name))
