// Rendered from typed settings: replica set {{REPLICA_SET}}, {{MEMBER_COUNT}} members.
const config = {{CONFIG_JSON}};
const rootUser = process.env.{{ROOT_USERNAME_ENV}};
const rootPassword = process.env.{{ROOT_PASSWORD_ENV}};
if (!rootUser || !rootPassword) {
  throw new Error('{{ROOT_USERNAME_ENV}} and {{ROOT_PASSWORD_ENV}} must be set');
}
db.getSiblingDB('admin').auth(rootUser, rootPassword);

function initialised() {
  try {
    rs.status();
    return true;
  } catch (error) {
    if (error.codeName === 'NotYetInitialized' || error.code === 94) return false;
    throw error;
  }
}

if (initialised()) {
  print('replica set ' + config._id + ' is already initialised; leaving it as it is');
} else {
  print('initiating replica set ' + config._id + ' with ' + config.members.length + ' members');
  rs.initiate(config);
}

const deadline = Date.now() + {{TIMEOUT_MILLISECONDS}};
while (!db.hello().primary) {
  if (Date.now() > deadline) {
    throw new Error('no primary was elected in time');
  }
  sleep(1000);
}
print('primary: ' + db.hello().primary);
