// The environment the scripts run git in: their own identity, none of the machine's git config.
export const GIT_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'git-coord',
  GIT_AUTHOR_EMAIL: 'git-coord@example.com',
  GIT_COMMITTER_NAME: 'git-coord',
  GIT_COMMITTER_EMAIL: 'git-coord@example.com',
};
