import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
});

// jsdom has no scrolling; the router's scroll restoration calls it.
window.scrollTo = () => {};

// The machine running the tests may be busy; give async queries room.
configure({ asyncUtilTimeout: 5000 });
