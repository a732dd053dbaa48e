/** Escaping of data strings in the tear sheet's page. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, inlineScript, scriptJson } from '../../../lib/report/html.ts';

describe('escaping', () => {
  it('escapeHtml leaves no markup character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('scriptJson: no "<" at all, and the same value when parsed', () => {
    const value = { s: '</script><!-- \u2028\u2029 <b>' };
    const text = scriptJson(value);
    expect(text).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('inlineScript cannot close its element early', () => {
    expect(inlineScript('a="</script>";b="</SCRIPT>";c="<!--"')).toBe('a="<\\/script>";b="<\\/SCRIPT>";c="<\\!--"');
  });
});
