import { screen, waitFor } from '@testing-library/react';
import { demoUser } from '@/testing/fixtures';
import { apiError, json, mockApi } from '@/testing/mock-api';
import { renderApp } from '@/testing/render';
import { validateSignup, safeReturnTo } from '../validation';

describe('sign-up validation', () => {
  it('checks every field before anything is sent', () => {
    expect(validateSignup({ firstName: ' ', lastName: '', email: 'nope', username: 'a', password: 'short' })).toEqual({
      firstName: 'Enter your first name.',
      lastName: 'Enter your last name.',
      email: 'Enter a valid email address, like name@example.com.',
      username: "Use 3–60 letters, digits, '.', '_' or '-'.",
      password: 'Use at least 8 characters.',
    });
    expect(validateSignup({ firstName: 'A', lastName: 'B', email: 'a@b.co', username: '', password: '12345678' })).toEqual({});
  });

  it('only returns to paths inside the app', () => {
    expect(safeReturnTo('/orders')).toBe('/orders');
    expect(safeReturnTo('//evil.example')).toBe('/');
    expect(safeReturnTo('https://evil.example')).toBe('/');
    expect(safeReturnTo(null)).toBe('/');
  });
});

describe('sign-up form', () => {
  it('shows field-level messages linked to their inputs, and sends nothing', async () => {
    const api = mockApi({});
    const { user } = renderApp('/signup');
    await user.type(screen.getByLabelText('Email'), 'not-an-email');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText('First name')).toHaveAccessibleDescription('Enter your first name.');
    expect(screen.getByLabelText('First name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter a valid email address, like name@example.com.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Use at least 8 characters.');
    expect(api.callsTo('POST', '/api/signup')).toHaveLength(0);

    // Typing in a field clears its message.
    await user.type(screen.getByLabelText('First name'), 'Eve');
    expect(screen.getByLabelText('First name')).not.toHaveAttribute('aria-invalid');
  });

  it('puts the server’s field messages on the fields (422) and USER_EXISTS on the email', async () => {
    mockApi({
      'POST /api/signup': [
        () => apiError(422, 'VALIDATION_ERROR', 'Invalid request', [{ field: 'body.last_name', message: 'Last name is too long' }]),
        () => apiError(409, 'USER_EXISTS', 'A user with this email already exists'),
      ],
    });
    const { user } = renderApp('/signup');
    await user.type(screen.getByLabelText('First name'), 'Eve');
    await user.type(screen.getByLabelText('Last name'), 'Tester');
    await user.type(screen.getByLabelText('Email'), 'eve@example.com');
    await user.type(screen.getByLabelText('Password'), 'long-enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Last name is too long')).toBeInTheDocument();
    expect(screen.getByLabelText('Last name')).toHaveAccessibleDescription('Last name is too long');

    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText(/already exists/)).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
  });

  it('signs up, logs in and returns to where the person came from', async () => {
    const api = mockApi({
      'POST /api/signup': () => json({ ...demoUser, createdAt: '2026-11-25T00:00:00Z', updatedAt: '2026-11-25T00:00:00Z' }, 201),
      'POST /api/login': () => json({ token: 'new-token', user: demoUser }),
      'GET /api/me': () => json(demoUser),
      'GET /api/orders': () => json([]),
    });
    const { user, router } = renderApp('/signup?returnTo=%2Forders');
    await user.type(screen.getByLabelText('First name'), 'Dana');
    await user.type(screen.getByLabelText('Last name'), 'Demo');
    await user.type(screen.getByLabelText('Email'), 'demo@ticketbooth.dev');
    await user.type(screen.getByLabelText('Password'), 'demo-pass-123');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/orders'));
    expect(await screen.findByRole('heading', { name: 'No orders yet' })).toBeInTheDocument();
    expect(localStorage.getItem('ticketbooth.token')).toBe('new-token');
    expect(api.callsTo('POST', '/api/signup')[0]!.body).toEqual({
      firstName: 'Dana',
      lastName: 'Demo',
      email: 'demo@ticketbooth.dev',
      password: 'demo-pass-123',
    });
  });
});

describe('log-in form', () => {
  it('asks for both fields', async () => {
    const api = mockApi({});
    const { user } = renderApp('/login');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(screen.getByLabelText('Email or username')).toHaveAccessibleDescription('Enter your email or username.');
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(api.calls).toHaveLength(0);
  });

  it('says so when the password is wrong', async () => {
    mockApi({ 'POST /api/login': () => apiError(401, 'UNAUTHORIZED', 'Invalid credentials') });
    const { user } = renderApp('/login');
    await user.type(screen.getByLabelText('Email or username'), 'demo');
    await user.type(screen.getByLabelText('Password'), 'wrong-pass');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('That email or password is not right.');
  });
});
