// 読み上げ (read aloud): the page's main text spoken by the browser's own
// speech synthesis. Progressive enhancement: the button is hidden in the
// markup and shown only where the device has a Japanese voice (or an
// English one for an English page); without it nothing changes.
(() => {
  const button = document.getElementById('read-aloud');
  const synth = window.speechSynthesis;
  if (!button || !synth || typeof SpeechSynthesisUtterance === 'undefined') return;
  const lang = (document.documentElement.lang || 'ja').toLowerCase();

  const voiceFor = () => synth.getVoices().find(v => v.lang.toLowerCase().replace('_', '-').startsWith(lang));

  // The text to read: the main region without the readings of ruby (read
  // twice otherwise) and without what is hidden.
  const text = () => {
    const main = document.getElementById('main');
    if (!main) return '';
    const copy = main.cloneNode(true);
    copy.querySelectorAll('rt, rp, script, style, [hidden], [aria-hidden="true"], .visually-hidden').forEach(n => n.remove());
    return copy.textContent.replace(/\s+/g, ' ').trim();
  };

  const label = speaking => {
    button.textContent = speaking ? button.dataset.stop : button.dataset.start;
    button.setAttribute('aria-pressed', speaking ? 'true' : 'false');
  };

  button.addEventListener('click', () => {
    if (synth.speaking) {
      synth.cancel();
      label(false);
      return;
    }
    const u = new SpeechSynthesisUtterance(text());
    const v = voiceFor();
    if (v) u.voice = v;
    u.lang = v ? v.lang : lang;
    u.onend = u.onerror = () => label(false);
    synth.speak(u);
    label(true);
  });

  const offer = () => {
    if (voiceFor()) {
      button.hidden = false;
      label(false);
    }
  };
  offer();
  // Voices arrive asynchronously in some browsers.
  if ('onvoiceschanged' in synth) synth.addEventListener('voiceschanged', offer);
  window.addEventListener('pagehide', () => synth.cancel());
})();
