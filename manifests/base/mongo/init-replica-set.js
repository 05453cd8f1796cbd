// Run by the mongo-init Job with mongosh, connected straight to mongo-0 as the root user.
// Idempotent, so every Argo CD sync may run it again:
//  1. initiate the replica set with mongo-0 alone (replSetInitiate refuses members that already
//     hold data, and every member holds the root user from its first start);
//  2. add the other members one reconfig at a time, through the primary; each replaces its
//     data by an initial sync from the primary;
//  3. create the portal's user (readWrite on its database), or reset its password and roles
//     to what the Secret says, which is how that password is rotated.

const env = process.env;
const members = env.MONGO_MEMBERS.split(",");

function retry(what, action) {
  for (let attempt = 1; ; attempt++) {
    try {
      return action();
    } catch (error) {
      if (attempt >= 60) throw error;
      print(`${what}: ${error.message}; retrying in 2 s`);
      sleep(2000);
    }
  }
}

function command(database, document) {
  const result = database.adminCommand(document);
  if (result.ok !== 1) throw new Error(`${Object.keys(document)[0]} failed: ${JSON.stringify(result)}`);
  return result;
}

function initiated() {
  try {
    rs.status();
    return true;
  } catch (error) {
    if (error.codeName === "NotYetInitialized") return false;
    throw error;
  }
}

if (!initiated()) {
  command(db, { replSetInitiate: { _id: env.MONGO_REPLICA_SET, members: [{ _id: 0, host: members[0] }] } });
  print(`initiated replica set ${env.MONGO_REPLICA_SET} with ${members[0]}`);
}

const primary = retry("waiting for a primary", () => {
  const host = db.hello().primary;
  if (!host) throw new Error("no primary elected yet");
  return host;
});
const admin = new Mongo(`mongodb://${primary}/?directConnection=true`).getDB("admin");
admin.auth(env.MONGO_ROOT_USERNAME, env.MONGO_ROOT_PASSWORD);

for (const host of members) {
  retry(`adding ${host}`, () => {
    const { config } = command(admin, { replSetGetConfig: 1 });
    if (config.members.some((member) => member.host === host)) return;
    config.version += 1;
    config.members.push({ _id: Math.max(...config.members.map((member) => member._id)) + 1, host });
    command(admin, { replSetReconfig: config });
    print(`added ${host}`);
  });
}

const roles = [{ role: "readWrite", db: env.MONGO_DB }];
if (admin.getUser(env.MONGO_APP_USERNAME)) {
  admin.updateUser(env.MONGO_APP_USERNAME, { pwd: env.MONGO_APP_PASSWORD, roles });
  print(`updated user ${env.MONGO_APP_USERNAME}`);
} else {
  admin.createUser({ user: env.MONGO_APP_USERNAME, pwd: env.MONGO_APP_PASSWORD, roles });
  print(`created user ${env.MONGO_APP_USERNAME}`);
}
