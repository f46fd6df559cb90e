import { isSemver, parseArtifactDescription } from '../src/artifact-description';

describe('artifact upload fields', () => {
  it.each(['1.0.0', '0.0.1', '2.1.0-rc.1', '1.0.0-alpha+build.5', '10.20.30'])('%s is a semantic version', (version) => {
    expect(isSemver(version)).toBe(true);
  });

  it.each(['1.0', 'v1.0.0', '01.0.0', '1.0.0-', '1.0.0+', '1.0.0\nx', ''])('%p is not', (version) => {
    expect(isSemver(version)).toBe(false);
  });

  it('takes device types repeated or comma-separated, without duplicates', () => {
    expect(parseArtifactDescription({ name: [' fw '], version: ['1.0.0'], deviceTypes: ['cam,gw', 'cam', ' x '] })).toEqual({
      name: 'fw',
      version: '1.0.0',
      deviceTypes: ['cam', 'gw', 'x'],
    });
  });

  it.each([
    [{ version: ['1.0.0'], deviceTypes: ['cam'] }, /^name: is required/],
    [{ name: ['a', 'b'], version: ['1.0.0'], deviceTypes: ['cam'] }, /^name: must be given once/],
    [{ name: ['a\nb'], version: ['1.0.0'], deviceTypes: ['cam'] }, /^name:/],
    [{ name: ['a'], version: ['1.0'], deviceTypes: ['cam'] }, /^version: '1.0' is not a semantic version/],
    [{ name: ['a'], version: ['1.0.0'] }, /^deviceTypes: at least one/],
    [{ name: ['a'], version: ['1.0.0'], deviceTypes: ['cam', 'a b'] }, /^deviceTypes: 'a b'/],
    [{ name: ['a'], version: ['1.0.0'], deviceTypes: ['cam'], extra: ['1'] }, /^extra: unknown field/],
  ])('refuses %p', (fields, message) => {
    expect(() => parseArtifactDescription(fields)).toThrow(message);
  });
});
