// The upload's form post is answered with the result page itself. Give the page the result's own
// address, so that a reload or a bookmark shows the result again instead of posting the upload twice.
"use strict";

const address = document.querySelector("[data-result-address]")?.dataset.resultAddress;
if (address && window.location.pathname !== address) {
  window.history.replaceState(null, "", address);
}
