// The CDK app whose `cdk synth` output is in this folder (aws-cdk-lib 2.278.0, written for
// hornbeam's tests): a bucket, a queue, a Lambda function from an asset whose role is
// granted iam:PassRole, and a nested stack with a role. Regenerate with
//   npm install aws-cdk-lib@2 constructs@10 aws-cdk@2
//   mkdir handler && echo 'exports.handler = async () => ({});' > handler/index.js
//   npx cdk synth --app 'node app.js' -o cdk.out --no-version-reporting
const cdk = require('aws-cdk-lib');
const iam = require('aws-cdk-lib/aws-iam');
const s3 = require('aws-cdk-lib/aws-s3');
const lambda = require('aws-cdk-lib/aws-lambda');
const sqs = require('aws-cdk-lib/aws-sqs');

class Audit extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    new iam.Role(this, 'AuditRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('SecurityAudit')],
    });
  }
}

class App extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'Reports', { enforceSSL: true });
    const queue = new sqs.Queue(this, 'Jobs');
    const fn = new lambda.Function(this, 'Worker', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(__dirname + '/handler'),
    });
    bucket.grantRead(fn);
    queue.grantConsumeMessages(fn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: ['*'] }));
    new Audit(this, 'Audit');
  }
}

const app = new cdk.App();
new App(app, 'HornbeamExample');
app.synth();
