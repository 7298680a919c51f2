// Rendered from typed settings: user {{USERNAME}} on database {{DATABASE}}.
const database = {{DATABASE_JSON}};
const user = {{USER_JSON}};
const rootUser = process.env.{{ROOT_USERNAME_ENV}};
const rootPassword = process.env.{{ROOT_PASSWORD_ENV}};
if (!rootUser || !rootPassword) {
  throw new Error('{{ROOT_USERNAME_ENV}} and {{ROOT_PASSWORD_ENV}} must be set');
}
db.getSiblingDB('admin').auth(rootUser, rootPassword);
const password = process.env.{{USER_PASSWORD_ENV}};
if (!password) {
  throw new Error('{{USER_PASSWORD_ENV}} must be set');
}

const target = db.getSiblingDB(database);
if (target.getUser(user.user) === null) {
  target.createUser(Object.assign({}, user, { pwd: password }));
  print('created user ' + user.user + ' on ' + database);
} else {
  print('user ' + user.user + ' already exists on ' + database + '; leaving it unchanged');
}
